// The SLURM launcher: writes each job (override strings and the harness version) to the sweep's
// folder, submits them as `sbatch --array` job arrays (several jobs per task with launcher.pack;
// arrays kept within the cluster's MaxArraySize; %N throttle from launcher.max_parallel;
// --signal=B:TERM@S so a task near its time limit checkpoints and ends interrupted), and polls
// `squeue` by job name. It never asks SLURM about finished jobs: a shard in the folder is a job's
// result, and a job whose task left squeue without one is submitted again (launcher.retries), then
// recorded failed with its log's path. Every submission of a job is an attempt with its own number,
// written into its job file and its shard's name: only the shard of a job's latest attempt settles
// it, so a shard an earlier attempt left (failed, or interrupted before a resume) is never taken for
// the new one's.
import { execFile } from 'node:child_process';
import { basename, join } from 'node:path';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pendingJobs } from '../store/sweeps.js';
import { UserError } from '../util/errors.js';
import { mergeShard, type Merged } from '../store/merge.js';
import { shardFiles, shardsDir, type Engine, type Lost, type RemoteSweep } from './remote.js';
import { setting, type LauncherSettings } from './settings.js';
import { shardAttempt, type RemoteJob } from './shard.js';
import { jobFile } from './slurm-task.js';

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

/** Runs a SLURM client command; a missing command or a timeout is a clear user error. */
function slurm(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      if (e.code === 'ENOENT') reject(new UserError(`launcher=slurm: ${cmd} is not on PATH (install the SLURM client tools, Debian: slurm-client)`));
      else if (e.killed) reject(new UserError(`launcher=slurm: ${cmd} did not answer in ${timeoutMs / 1000} s (is slurmctld reachable?)`));
      else reject(new UserError(`launcher=slurm: ${cmd} ${args.join(' ')}: ${(stderr || e.message).trim().split('\n')[0]}`));
    });
  });
}

/** The array tasks one sbatch may hold: launcher.chunk, else the cluster's MaxArraySize. */
async function chunkSize(s: LauncherSettings): Promise<number> {
  const chunk = setting(s, 'chunk', 'number', { nullable: true });
  if (chunk) return chunk;
  const conf = await slurm('scontrol', ['show', 'config']).catch(() => '');
  const max = Number(/MaxArraySize\s*=\s*(\d+)/.exec(conf)?.[1] ?? 1001);
  return Math.max(1, max); // indices 0..max-1
}

const jobName = (s: RemoteSweep) => `irnn-${s.token.slice(0, 8)}`;
/** A word for bash (single quotes). */
const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
/** A path for an #SBATCH line: sbatch reads double quotes there; settings.ts refuses paths that
 *  hold a double quote, a backslash or a control character. */
const sbatchPath = (v: string) => {
  if (/["\\\x00-\x1f\x7f]/.test(v)) throw new UserError(`launcher=slurm: the path ${JSON.stringify(v)} cannot be written in a batch script`);
  return `"${v}"`;
};

/** The batch script of one array: each task runs the jobs on its line of `tasks`. */
export function batchScript(s: RemoteSweep, o: { tasks: string; count: number; jobs: number[] }): string {
  const st = s.settings;
  const max = setting(st, 'max_parallel', 'number', { nullable: true });
  const opt = (k: string, flag: string) => (st[k] === null || st[k] === undefined || st[k] === '' ? [] : [`#SBATCH --${flag}=${String(st[k])}`]);
  const extra = String(st['extra'] ?? '').split(/\s+/).filter(Boolean).map((x) => `#SBATCH ${x}`);
  const scratch = st['scratch'] ? ` --scratch ${quote(String(st['scratch']))}` : '';
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${jobName(s)}`,
    `#SBATCH --array=0-${o.count - 1}${max ? `%${max}` : ''}`,
    `#SBATCH --output=${sbatchPath(join(s.folder, 'logs', '%A_%a.out'))}`,
    ...opt('partition', 'partition'),
    ...opt('time', 'time'),
    ...opt('cpus_per_task', 'cpus-per-task'),
    ...opt('mem', 'mem'),
    `#SBATCH --signal=B:TERM@${setting(st, 'signal_seconds', 'number')}`,
    ...extra,
    `# irnn sweep ${s.sweepId}: jobs ${o.jobs.join(' ')}; array task N runs the jobs on line N (from 0) of the tasks file.`,
    // exec: the batch shell becomes the worker, so SLURM's TERM reaches it
    `exec ${quote(process.execPath)} ${quote(BIN)} worker --slurm ${quote(o.tasks)} --task "$SLURM_ARRAY_TASK_ID"${scratch}`,
    '',
  ].join('\n');
}

/** Submissions and attempts per job, kept in the folder (any process may poll or collect). */
interface State {
  arrays: number;
  /** job -> its number of submissions so far: the number of its latest attempt. */
  attempts: Record<number, number>;
  /** job -> the log of its last attempt ('<array job id>_<task>'). */
  logs: Record<number, string>;
  /** job -> resubmissions after a lost task since the launch that submitted it (launcher.retries). */
  retried?: Record<number, number>;
}
const statePath = (s: RemoteSweep) => join(s.folder, 'slurm.json');
const readState = (s: RemoteSweep): State => (existsSync(statePath(s)) ? JSON.parse(readFileSync(statePath(s), 'utf8')) : { arrays: 0, attempts: {}, logs: {} });
const writeState = (s: RemoteSweep, st: State) => writeFileSync(statePath(s), JSON.stringify(st, null, 1));

/** Packs jobs into tasks and tasks into arrays; writes each array's tasks file and script. */
export async function planArrays(s: RemoteSweep, jobs: number[], first: number): Promise<Array<{ script: string; path: string; tasks: number[][] }>> {
  const pack = Math.max(1, setting(s.settings, 'pack', 'number') ?? 1);
  const tasks: number[][] = [];
  for (let i = 0; i < jobs.length; i += pack) tasks.push(jobs.slice(i, i + pack));
  const size = await chunkSize(s.settings);
  const out = [];
  for (let i = 0, k = first; i < tasks.length; i += size, k++) {
    const part = tasks.slice(i, i + size);
    const file = join(s.folder, `array-${k}.tasks`);
    out.push({ path: join(s.folder, `array-${k}.sh`), tasks: part, script: batchScript(s, { tasks: file, count: part.length, jobs: part.flat() }) });
  }
  return out;
}

/** squeue's view of this sweep's tasks: '<array job>_<task>' -> state. */
async function queued(s: RemoteSweep): Promise<Map<string, string>> {
  const out = await slurm('squeue', ['-h', '-r', '-n', jobName(s), '-o', '%F_%K|%T']);
  return new Map(out.split('\n').filter(Boolean).map((l) => l.split('|') as [string, string]));
}

/** Submits the jobs as the next attempt of each: job files first (with the attempt's number),
 *  then the arrays. */
async function submit(s: RemoteSweep, jobs: RemoteJob[], st: State): Promise<void> {
  for (const d of ['jobs', 'logs', 'shards']) mkdirSync(join(s.folder, d), { recursive: true });
  for (const j of jobs) writeFileSync(jobFile(s.folder, j.idx), JSON.stringify({ ...j, attempt: (st.attempts[j.idx] ?? 0) + 1 } satisfies RemoteJob));
  for (const a of await planArrays(s, jobs.map((j) => j.idx), st.arrays + 1)) {
    st.arrays++;
    writeFileSync(a.path.replace(/\.sh$/, '.tasks'), a.tasks.map((t) => t.join(' ')).join('\n') + '\n');
    writeFileSync(a.path, a.script, { mode: 0o755 });
    const id = (await slurm('sbatch', ['--parsable', a.path])).trim().split(';')[0]!;
    a.tasks.forEach((t, i) => t.forEach((idx) => {
      st.attempts[idx] = (st.attempts[idx] ?? 0) + 1;
      st.logs[idx] = `${id}_${i}`;
    }));
    writeState(s, st);
  }
}

const pending = async (s: RemoteSweep) => (await pendingJobs(s.db, s.sweepId)).map((j) => j.idx);
const shardIdx = (f: string) => Number(/job-(\d+)-[^/]*\.sqlite$/.exec(f)![1]);

/** The shard of each job's latest attempt, when it is in the folder. */
function latestShards(s: RemoteSweep, st: State): Map<number, string> {
  const out = new Map<number, string>();
  for (const f of shardFiles(shardsDir(s))) {
    const idx = shardIdx(f);
    if (shardAttempt(basename(f)) === st.attempts[idx]) out.set(idx, f);
  }
  return out;
}

export const slurmEngine: Engine = {
  async submit(s, jobs: RemoteJob[]) {
    const st = readState(s);
    const live = await queued(s);
    // a job whose task is still queued or running from an earlier launch is not submitted twice
    const fresh = jobs.filter((j) => !(st.logs[j.idx] !== undefined && live.has(st.logs[j.idx]!)));
    st.retried = { ...st.retried, ...Object.fromEntries(fresh.map((j) => [j.idx, 0])) };
    if (fresh.length) await submit(s, fresh, st);
    else writeState(s, st);
  },

  async poll(s) {
    const st = readState(s);
    const live = await queued(s); // before the shards: a task gone from squeue has published its shard
    const open = new Set(await pending(s));
    const merged: Merged[] = [];
    const have = new Set<number>();
    for (const [idx, f] of latestShards(s, st)) {
      if (!open.has(idx)) continue;
      merged.push(await mergeShard(s.db, f, { sweepId: s.sweepId, token: s.token, idx }));
      have.add(idx);
    }
    const lost: Lost[] = [];
    const again: number[] = [];
    const active: number[] = [];
    for (const idx of open) {
      if (have.has(idx)) continue;
      const task = st.logs[idx];
      if (task && live.get(task) === 'RUNNING') active.push(idx);
      if (task === undefined || live.has(task)) continue;
      const log = join(s.folder, 'logs', `${task}.out`);
      if ((st.retried?.[idx] ?? 0) < (setting(s.settings, 'retries', 'number') ?? 0)) again.push(idx);
      else lost.push({ idx, status: 'failed', error: `its SLURM task ${task} ended without a result (killed, out of memory or node lost?); log: ${log}` });
    }
    if (again.length) {
      for (const idx of again) st.retried = { ...st.retried, [idx]: (st.retried?.[idx] ?? 0) + 1 };
      await submit(s, again.map((idx) => JSON.parse(readFileSync(jobFile(s.folder, idx), 'utf8')) as RemoteJob), st);
    }
    return { merged, lost, active };
  },

  shards: (s) => [...latestShards(s, readState(s)).values()],

  async live(s) {
    const st = readState(s);
    const live = await queued(s);
    const ready = new Set(latestShards(s, st).keys());
    const out = new Map<number, string>();
    for (const idx of await pending(s)) {
      const task = st.logs[idx];
      // ready: its shard waits for `irnn sweep collect`; gone: its task left squeue without one
      out.set(idx, ready.has(idx) ? 'ready' : task && live.has(task) ? `${live.get(task)!.toLowerCase()} (${task})` : 'gone');
    }
    return out;
  },
};
