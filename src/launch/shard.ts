// One remote job into a shard of its own: a fresh SQLite file on local disk holding a one-job sweep
// (the job's status and error) and its run with metrics, written by train() as in any store. The
// shard then reaches the sweep's folder atomically (VACUUM INTO a temporary name, then rename) or
// travels back as bytes (the Redis launcher). The central store is never opened here (merge.ts).
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { composeConfig, configHash } from '../config/index.js';
import { Db } from '../store/db.js';
import { compactCopy, stampOrigin, type ShardSpec } from '../store/merge.js';
import { claimJob, createSweep, endJob, linkJobRun, setSweepStatus, type JobStatus } from '../store/sweeps.js';
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
}

export type { ShardSpec } from '../store/merge.js';

export interface ShardResult {
  path: string;
  status: Exclude<JobStatus, 'queued' | 'running'>;
  error: string | null;
}

/** Trains one job into a new shard under `scratch`. Never throws for the job's own failure (bad
 *  version, config or training error): the shard records it, so the sweep learns why. */
export async function runJobToShard(job: RemoteJob, o: { scratch: string; signal?: AbortSignal }): Promise<ShardResult> {
  mkdirSync(o.scratch, { recursive: true });
  const origin = randomUUID();
  const path = join(o.scratch, `job-${job.idx}-${origin}.sqlite`);
  const spec: ShardSpec = { token: job.token, sweep: job.sweepId, idx: job.idx, origin, version: harnessVersion() };
  const db = await Db.open(path);
  let status: ShardResult['status'] = 'failed';
  let error: string | null = null;
  try {
    let hash = '';
    try {
      hash = configHash(composeConfig({ overrides: job.overrides }).config);
    } catch {
      // reported below, where the job fails on the same error
    }
    const sweepId = await createSweep(db, { spec: { shard: spec }, command: `irnn worker: job ${job.idx} of sweep ${job.sweepId}`, jobs: [{ ...job, configHash: hash }] });
    await claimJob(db, sweepId, job.idx, process.pid);
    let runId: number | null = null;
    try {
      checkVersion(job.version);
      const r = await train({
        resolved: composeConfig({ overrides: job.overrides }),
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

/** A compact copy of a shard under `dir`, appearing at once under its final name (never half written). */
export async function publishShard(path: string, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const final = join(dir, basename(path));
  const tmp = join(dir, `.${basename(path)}.tmp`);
  rmSync(tmp, { force: true });
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
