// Helpers for the launcher tests (not a test file itself): system services started by the test on
// 127.0.0.1 in a temporary folder and stopped by their own pids. Their programs are installed once,
// before any test starts, by `npm test`'s pretest step (scripts/test-deps.ts); a test never runs
// apt-get, and fails at once naming the packages when a program is missing.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sleep } from '../src/util/time.js';
import { missing, TEST_PROGRAMS } from '../scripts/test-deps.js';

/** Fails at once, in one line naming the Debian packages, when one of the programs is missing. */
export function needPrograms(wanted: string[]): void {
  const gone = missing(Object.fromEntries(wanted.map((cmd) => [cmd, TEST_PROGRAMS[cmd]!])));
  if (gone.packages.length) {
    throw new Error(`missing ${gone.programs.join(', ')}: npm test installs them before the tests start (npx tsx scripts/test-deps.ts), else apt-get install ${gone.packages.join(' ')}`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Waits for `ok()` up to `ms`, else throws naming what it waited for. */
export async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await Promise.resolve().then(ok).catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

/** Stops a process: SIGTERM, then SIGKILL if it has not exited after `ms`. */
export async function stop(child: ChildProcess, ms = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(ms).then(() => false)])) return;
  child.kill('SIGKILL');
  await Promise.race([exited, sleep(ms)]);
}

export interface Redis {
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<Redis> {
  needPrograms(['redis-server']);
  const dir = mkdtempSync(join(tmpdir(), 'irnn-redis-'));
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await waitFor(`redis-server on port ${port}`, async () => {
    const { Socket } = await import('node:net');
    return new Promise<boolean>((r) => {
      const s = new Socket();
      s.once('error', () => r(false));
      s.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
      s.once('data', (d) => (s.destroy(), r(d.toString().startsWith('+PONG'))));
    });
  }, 15_000);
  return { url: `redis://127.0.0.1:${port}`, stop: async () => (await stop(child), rmSync(dir, { recursive: true, force: true })) };
}

export interface Slurm {
  /** Environment for the SLURM clients (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  dir: string;
  stop(): Promise<void>;
}

/** A one-node SLURM cluster: munged, slurmctld and slurmd on 127.0.0.1, all state in a temp folder. */
export async function startSlurm(o: { cpus?: number } = {}): Promise<Slurm> {
  needPrograms(['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo', 'scontrol']);
  const dir = mkdtempSync(join(tmpdir(), 'irnn-slurm-'));
  const munge = join(dir, 'munge');
  for (const d of [munge, join(dir, 'state'), join(dir, 'spool')]) mkdirSync(d, { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(munge, 0o755); // munged refuses a socket folder others can write to
  writeFileSync(join(munge, 'munge.key'), randomBytes(1024), { mode: 0o600 });
  const socket = join(munge, 'munge.socket.2');
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, [
    'ClusterName=irnntest',
    'SlurmctldHost=localhost(127.0.0.1)',
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${dPort}`,
    `SlurmUser=${process.env['USER'] ?? 'root'}`,
    'AuthType=auth/munge',
    `AuthInfo=socket=${socket}`,
    'CredType=cred/munge',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'SchedulerType=sched/builtin',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'ReturnToService=2',
    'MpiDefault=none',
    `NodeName=irnnnode NodeAddr=127.0.0.1 NodeHostname=${hostname()} CPUs=${o.cpus ?? 2} State=UNKNOWN`,
    'PartitionName=debug Nodes=irnnnode Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n'));
  const env = { ...process.env, SLURM_CONF: conf };
  const started: ChildProcess[] = [];
  const stopAll = async () => {
    // slurmd and slurmctld first; munged last, by its own pid
    for (const c of started.reverse()) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const run = (cmd: string, args: string[]) => {
      const c = spawn(cmd, args, { stdio: 'ignore', env });
      started.push(c);
      return c;
    };
    run('munged', ['-F', '--force', `--socket=${socket}`, `--key-file=${join(munge, 'munge.key')}`, `--log-file=${join(munge, 'munged.log')}`,
      `--pid-file=${join(munge, 'munged.pid')}`, `--seed-file=${join(munge, 'munged.seed')}`]);
    await waitFor('the munge socket', () => existsSync(socket), 10_000);
    run('slurmctld', ['-D', '-i', '-f', conf]);
    run('slurmd', ['-D', '-N', 'irnnnode', '-f', conf]);
    await waitFor('the SLURM node to be idle', () => {
      const out = execFileSync('sinfo', ['-h', '-o', '%t'], { env, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
      return out.trim() === 'idle';
    }, 30_000);
  } catch (e) {
    await stopAll();
    throw e;
  }
  return { env, dir, stop: stopAll };
}
