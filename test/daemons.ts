// Helpers for the launcher tests (not a test file itself): system services started by the test on
// 127.0.0.1 in a temporary folder and stopped by their own pids. A missing program is installed
// from Debian (apt-get) when possible; otherwise the test fails naming the package.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sleep } from '../src/util/time.js';


function which(cmd: string): boolean {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env['PATH'] ?? '').split(':')]) if (existsSync(join(dir, cmd))) return true;
  return false;
}

/** Makes sure each program is installed, installing its Debian package when missing. */
export function needPrograms(wanted: Record<string, string>): void {
  const missing = Object.entries(wanted).filter(([cmd]) => !which(cmd));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map(([, p]) => p))];
  const apt = (args: string[]) => execFileSync('apt-get', args, { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 300_000 });
  try {
    apt(['install', '-y', '-qq', ...pkgs]);
  } catch {
    try {
      apt(['update', '-qq']); // a fresh system has no package lists yet
      apt(['install', '-y', '-qq', ...pkgs]);
    } catch {
      // reported below
    }
  }
  const still = missing.filter(([cmd]) => !which(cmd));
  if (still.length) throw new Error(`missing ${still.map(([c]) => c).join(', ')}: install the Debian package(s) ${[...new Set(still.map(([, p]) => p))].join(' ')} (apt-get install)`);
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
  needPrograms({ 'redis-server': 'redis-server' });
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
  needPrograms({ munged: 'munge', slurmctld: 'slurmctld', slurmd: 'slurmd', sbatch: 'slurm-client' });
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
