// What the SLURM and Redis launchers share: a sweep's folder and token, the jobs as remote jobs
// (override strings and the harness version only), and the loop that submits them to an engine,
// merges each finished shard as it appears (store/merge.ts, this process being the single writer) and
// records jobs the engine lost. With --detach it only submits; `irnn sweep collect` merges later.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Db } from '../store/db.js';
import { getRun } from '../store/runs.js';
import { endJob, getSweep, type SweepRecord } from '../store/sweeps.js';
import type { JobOutcome, LaunchEvents } from './local.js';
import { mergeShard, runOrigin, type Merged } from '../store/merge.js';
import { checkpointDir, latestCheckpoint, type CheckpointContent } from '../train/checkpoint-file.js';
import type { PlannedJob } from './plan.js';
import type { RemoteJob } from './shard.js';
import type { LauncherSettings } from './settings.js';
import { harnessVersion } from './version.js';
import { sleep } from '../util/time.js';

/** One remote sweep as its launcher sees it. */
export interface RemoteSweep {
  db: Db;
  sweepId: number;
  token: string;
  /** The sweep's folder: shards/, logs/, batch scripts (SLURM: on the shared file system). */
  folder: string;
  settings: LauncherSettings;
}

/** A job its engine ended without a shard (a SLURM task killed past its retries, a queue job that
 *  failed outside the harness). */
export interface Lost {
  idx: number;
  status: 'failed' | 'interrupted';
  error: string;
}

export interface Engine {
  /** Hands the jobs to the engine; jobs the engine still holds for this sweep are not sent twice. */
  submit(s: RemoteSweep, jobs: RemoteJob[]): Promise<void>;
  /** Merges the shards of jobs that finished since the last poll; says which jobs run now and
   *  which the engine lost. */
  poll(s: RemoteSweep): Promise<{ merged: Merged[]; lost: Lost[]; active: number[] }>;
  /** The engine's own word on each job it still knows (queue state, SLURM state), for `sweeps show`. */
  live(s: RemoteSweep): Promise<Map<number, string>>;
  /** The shard files in the sweep's folder that `irnn sweep collect` merges again (each job's
   *  latest attempt); none when the engine hands results over itself (the Redis queue). */
  shards?(s: RemoteSweep): string[];
  /** Releases connections (the Redis client). */
  close?(s: RemoteSweep): Promise<void>;
}

export const shardsDir = (s: { folder: string }) => join(s.folder, 'shards');

/** The shard files in a folder (never the temporary names of shards still being written). */
export function shardFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^job-\d+-.+\.sqlite$/.test(f)).sort().map((f) => join(dir, f));
}

/** Merges shard files of a sweep; returns what each added (in file order). */
export async function mergeFiles(s: RemoteSweep, files: string[]): Promise<Merged[]> {
  const out: Merged[] = [];
  for (const f of files) out.push(await mergeShard(s.db, f, s));
  return out;
}

/** Where an interrupted run of a remote sweep can go on: the shard it was merged from (its path in
 *  the sweep's folder), the run's id there, and the newest checkpoint published beside that shard;
 *  null when there is none (a Redis worker's checkpoints stay on its host). */
export async function continuation(
  s: RemoteSweep,
  runId: number,
  warn?: (line: string) => void,
): Promise<{ shard: string; runId: number; checkpoint: { path: string; content: CheckpointContent } } | null> {
  const m = /^(.+):(\d+)$/.exec((await runOrigin(s.db, runId)) ?? '');
  if (!m) return null;
  const file = shardFiles(shardsDir(s)).find((f) => f.endsWith(`-${m[1]}.sqlite`));
  // the run has the same uid in its shard as here (merging copies it)
  const uid = (await getRun(s.db, runId))?.uid ?? null;
  const checkpoint = file ? latestCheckpoint(checkpointDir(file, { id: Number(m[2]), uid }), warn) : null;
  return checkpoint ? { shard: relative(s.folder, file!), runId: Number(m[2]), checkpoint } : null;
}

/** The jobs as an engine sends them; a job planned to continue its run carries where from. */
export async function remoteJobs(s: RemoteSweep, jobs: Array<Pick<PlannedJob, 'idx' | 'overrides' | 'resume'>>, o: { force?: boolean } = {}): Promise<RemoteJob[]> {
  const version = harnessVersion();
  const out: RemoteJob[] = [];
  for (const j of jobs) {
    const from = j.resume === undefined ? null : await continuation(s, j.resume);
    out.push({ token: s.token, sweepId: s.sweepId, idx: j.idx, overrides: j.overrides, version, ...(from ? { resume: { shard: from.shard, runId: from.runId, force: o.force } } : {}) });
  }
  return out;
}

/** The remote view of a stored sweep (null for a local sweep). */
export function remoteSweep(db: Db, sweep: Pick<SweepRecord, 'id' | 'spec'>): RemoteSweep | null {
  const spec = sweep.spec as { launcher?: LauncherSettings; token?: string; folder?: string };
  if (!spec.launcher || spec.launcher.name === 'local' || !spec.token || !spec.folder) return null;
  return { db, sweepId: sweep.id, token: spec.token, folder: spec.folder, settings: spec.launcher };
}

/** Records what one poll learnt and reports it; returns the jobs it settled. */
export async function settle(s: RemoteSweep, r: { merged: Merged[]; lost: Lost[] }, events: LaunchEvents = {}): Promise<JobOutcome[]> {
  const out: JobOutcome[] = [];
  for (const m of r.merged) if (m.added) out.push({ idx: m.idx, status: m.status, runId: m.runId, error: m.error, metrics: {}, seconds: m.seconds });
  for (const l of r.lost) {
    await endJob(s.db, s.sweepId, l.idx, { status: l.status, error: l.error });
    out.push({ idx: l.idx, status: l.status, runId: null, error: l.error, metrics: {}, seconds: 0 });
  }
  for (const o of out) events.onJobDone?.(o);
  return out;
}

/** Submits the jobs and, unless detached, polls until every job is merged or lost (or the signal
 *  aborts: the jobs go on in the engine, and `irnn sweep collect` merges them later). */
export async function launchRemote(
  engine: Engine,
  s: RemoteSweep,
  o: { jobs: PlannedJob[]; poll: number; detach?: boolean; failFast?: boolean; force?: boolean; signal?: AbortSignal; events?: LaunchEvents },
): Promise<{ outcomes: JobOutcome[]; stopped: 'done' | 'fail-fast' | 'interrupted' | 'detached' }> {
  const outcomes: JobOutcome[] = [];
  try {
    await engine.submit(s, await remoteJobs(s, o.jobs, { force: o.force }));
    if (o.detach) return { outcomes, stopped: 'detached' };
    const open = new Set(o.jobs.map((j) => j.idx));
    const started = new Set<number>();
    while (open.size > 0) {
      if (o.signal?.aborted) return { outcomes, stopped: 'interrupted' };
      const r = await engine.poll(s);
      for (const idx of r.active) {
        if (open.has(idx) && !started.has(idx)) o.events?.onJobStart?.({ idx, pid: 0, resumed: false });
        started.add(idx);
      }
      for (const done of await settle(s, r, o.events)) {
        open.delete(done.idx);
        outcomes.push(done);
        if (done.status === 'failed' && o.failFast) return { outcomes, stopped: 'fail-fast' };
      }
      // a job merged before this launch (collect, or a resume) is no longer open
      const sweep = (await getSweep(s.db, s.sweepId))!;
      for (const j of sweep.jobs) if (j.status !== 'queued' && j.status !== 'running') open.delete(j.idx);
      if (open.size > 0) await sleep(o.poll * 1000, o.signal);
    }
    return { outcomes, stopped: 'done' };
  } finally {
    await engine.close?.(s);
  }
}
