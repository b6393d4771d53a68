// One remote job into a shard of its own: a fresh SQLite file on local disk holding a one-job sweep
// (the job's status and error) and its run with metrics, written by train() as in any store. A job
// that continues an interrupted run starts from a copy of that run's shard and its checkpoint (both
// in the sweep's shared folder) and continues the run in it. The shard then reaches the sweep's
// folder atomically (VACUUM INTO a temporary name, then rename), with the newest checkpoint of an
// unfinished run beside it, or travels back as bytes (the Redis launcher). The central store is
// never opened here (store/merge.ts merges shards).
import { createHash, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { composeConfig, configHash } from '../config/index.js';
import { Db } from '../store/db.js';
import { compactCopy, runOrigin, stampOrigin, type ShardSpec } from '../store/merge.js';
import { getRun } from '../store/runs.js';
import { claimJob, createSweep, endJob, extendSweepSpec, linkJobRun, listSweeps, requeueJob, setSweepStatus, type JobStatus } from '../store/sweeps.js';
import { prepareResume } from '../train/resume.js';
import { storeCheckpointsDir } from '../train/checkpoint-file.js';
import { train } from '../train/run.js';
import { UserError } from '../util/errors.js';
import { checkVersion, harnessVersion } from './version.js';

/** All a remote job is sent: which sweep and job, its override strings, the harness version. */
export interface RemoteJob {
  /** The sweep's token (a uuid in its spec): shards and queue ids never mix two stores' sweeps. */
  token: string;
  sweepId: number;
  idx: number;
  overrides: string[];
  version: string;
  /** The engine's count of this job's submissions (SLURM): names its shard, so a shard of an
   *  earlier attempt is never taken for this one's. */
  attempt?: number;
  /** Continue the run `runId` of this earlier shard (a path in the sweep's folder) from its
   *  newest checkpoint; `force`: even when another code version wrote it. */
  resume?: { shard: string; runId: number; force?: boolean };
}

export type { ShardSpec } from '../store/merge.js';

export interface ShardResult {
  path: string;
  status: Exclude<JobStatus, 'queued' | 'running'>;
  error: string | null;
}

/** The file name of a job's shard: its job, its attempt (when counted) and its origin. */
export const shardName = (job: Pick<RemoteJob, 'idx' | 'attempt'>, origin: string) =>
  `job-${job.idx}-${job.attempt === undefined ? '' : `a${job.attempt}-`}${origin}.sqlite`;
/** The attempt a shard's file name gives (null: not counted). */
export const shardAttempt = (file: string) => {
  const m = /job-\d+-a(\d+)-[^/]*\.sqlite$/.exec(file);
  return m ? Number(m[1]) : null;
};
/** Where the checkpoints of a store's (or shard's) runs live beside it. */
const checkpointsOf = storeCheckpointsDir;

/** Copies a folder tree (checkpoint files), each file under a temporary name first. */
function copyTree(from: string, to: string): void {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from, { withFileTypes: true })) {
    if (f.isDirectory()) copyTree(join(from, f.name), join(to, f.name));
    else if (!f.name.includes('.tmp')) {
      copyFileSync(join(from, f.name), join(to, `.${f.name}.tmp`));
      renameSync(join(to, `.${f.name}.tmp`), join(to, f.name));
    }
  }
}

/** A new shard: a one-job sweep holding the job, queued. */
async function newShard(db: Db, job: RemoteJob, spec: ShardSpec): Promise<number> {
  let hash = '';
  try {
    hash = configHash(composeConfig({ overrides: job.overrides }).config);
  } catch {
    // reported where the job fails on the same error
  }
  return createSweep(db, { spec: { shard: spec }, command: `irnn worker: job ${job.idx} of sweep ${job.sweepId}`, jobs: [{ ...job, configHash: hash }] });
}

/** A shard copied from an earlier one (with its checkpoints): its job queued again, its spec this
 *  attempt's, naming the run it continues; returns the shard's sweep id. */
async function continuedShard(db: Db, job: RemoteJob, spec: ShardSpec, runId: number): Promise<number> {
  const sweepId = (await listSweeps(db))[0]?.id;
  const run = await getRun(db, runId);
  const continues = await runOrigin(db, runId);
  if (sweepId === undefined || !run || continues === null) throw new UserError(`its shard ${job.resume!.shard} holds no run ${runId} to continue`);
  await extendSweepSpec(db, sweepId, { shard: { ...spec, continues } satisfies ShardSpec });
  await requeueJob(db, sweepId, job.idx, run.configHash);
  return sweepId;
}

/** Trains one job into a new shard under `scratch` (`folder`: the sweep's folder, where a shard to
 *  continue from lives). Never throws for the job's own failure (bad version, config, a run that
 *  cannot be continued, a training error): the shard records it, so the sweep learns why. */
export async function runJobToShard(job: RemoteJob, o: { scratch: string; folder?: string; signal?: AbortSignal }): Promise<ShardResult> {
  mkdirSync(o.scratch, { recursive: true });
  const origin = randomUUID();
  const path = join(o.scratch, shardName(job, origin));
  const spec: ShardSpec = { token: job.token, sweep: job.sweepId, idx: job.idx, origin, version: harnessVersion(), ...(job.attempt === undefined ? {} : { attempt: job.attempt }) };
  const from = job.resume ? join(o.folder ?? '', job.resume.shard) : null;
  if (job.resume && (!o.folder || !existsSync(from!))) return failedShard(path, job, spec, `cannot continue run ${job.resume.runId}: its shard ${job.resume.shard} is not in the sweep's folder`);
  if (from) {
    copyFileSync(from, path);
    copyTree(checkpointsOf(from), checkpointsOf(path));
  }
  const db = await Db.open(path);
  let sweepId: number;
  try {
    sweepId = from ? await continuedShard(db, job, spec, job.resume!.runId) : await newShard(db, job, spec);
  } catch (e) {
    await db.close();
    for (const f of [path, `${path}-wal`, `${path}-shm`, checkpointsOf(path)]) rmSync(f, { recursive: true, force: true });
    return failedShard(path, job, spec, `cannot continue run ${job.resume?.runId}: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
  }
  let status: ShardResult['status'] = 'failed';
  let error: string | null = null;
  try {
    await claimJob(db, sweepId, job.idx, process.pid);
    let runId: number | null = job.resume?.runId ?? null;
    try {
      checkVersion(job.version);
      const resume = job.resume ? await prepareResume(db, job.resume.runId, { force: job.resume.force }) : undefined;
      const r = await train({
        resolved: resume?.resolved ?? composeConfig({ overrides: job.overrides }),
        resume,
        db,
        signal: o.signal,
        linkRun: (id) => linkJobRun(db, sweepId, job.idx, id),
        onRunCreated: (id) => void (runId = id),
      });
      ({ status, error } = r);
    } catch (e) {
      error = ((e as Error).message ?? String(e)).split('\n')[0]!;
    }
    await endJob(db, sweepId, job.idx, { status, runId, error });
    await stampOrigin(db, origin);
    await setSweepStatus(db, sweepId, status === 'finished' ? 'finished' : status === 'interrupted' ? 'interrupted' : 'failed');
  } finally {
    await db.close();
  }
  return { path, status, error };
}

/** A shard that records the job failed before it could start. */
async function failedShard(path: string, job: RemoteJob, spec: ShardSpec, error: string): Promise<ShardResult> {
  const db = await Db.open(path);
  try {
    const sweepId = await newShard(db, job, spec);
    await claimJob(db, sweepId, job.idx, process.pid);
    await endJob(db, sweepId, job.idx, { status: 'failed', error });
    await setSweepStatus(db, sweepId, 'failed');
  } finally {
    await db.close();
  }
  return { path, status: 'failed', error };
}

/** A compact copy of a shard under `dir`, appearing at once under its final name (never half
 *  written). With `checkpoints`, the checkpoints of its unfinished runs go first to the folder
 *  beside the copy (a later attempt on another node continues from them). */
export async function publishShard(path: string, dir: string, o: { checkpoints?: boolean } = {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const final = join(dir, basename(path));
  const tmp = join(dir, `.${basename(path)}.tmp`);
  rmSync(tmp, { force: true });
  if (o.checkpoints) copyTree(checkpointsOf(path), checkpointsOf(final));
  const db = await Db.open(path);
  try {
    await compactCopy(db, tmp);
  } finally {
    await db.close();
  }
  renameSync(tmp, final);
  return final;
}

/** A shard as bytes for a queue's job result (gzip, base64), and back to a file. */
export async function packShard(path: string): Promise<string> {
  const copy = await publishShard(path, join(path, '..', 'packed'));
  try {
    return gzipSync(readFileSync(copy)).toString('base64');
  } finally {
    rmSync(copy, { force: true });
  }
}

/** Writes packed shard bytes to `dir` under a name of the launcher's own (`job-IDX-<hash of the
 *  bytes>.sqlite`: nothing a worker sends names a file). Bytes that are not base64 gzip, or that
 *  unpack to more than `maxBytes`, are refused with a user error. */
export function unpackShard(data: string, o: { dir: string; idx: number; maxBytes: number }): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw new UserError('the result is not base64');
  let bytes: Buffer;
  try {
    bytes = gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: o.maxBytes });
  } catch (e) {
    const big = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
    throw new UserError(big ? `the shard unpacks to more than ${o.maxBytes} bytes (launcher.max_shard_mb)` : `the result is not a gzip stream (${(e as Error).message})`);
  }
  mkdirSync(o.dir, { recursive: true });
  const name = `job-${o.idx}-${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}.sqlite`;
  const final = join(o.dir, name);
  const tmp = join(o.dir, `.${name}.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, final); // the shard appears whole or not at all
  return final;
}
