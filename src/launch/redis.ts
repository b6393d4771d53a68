// The Redis launcher's side of the queue (BullMQ): enqueue a sweep's jobs (job id = sweep token +
// job index, so a job is never queued twice), read each job's state, and turn a completed job's
// result (its shard, gzip + base64) into a file in the sweep's folder that store/merge.ts merges.
// Anyone who reaches the Redis server can write a result, so a result is checked before anything
// is written: its shape (RedisResult, nothing more), its encoding, its unpacked size
// (launcher.max_shard_mb); the launcher names the file itself, and the merge checks that the shard
// is this job's. A job leaves the queue once its shard is merged (or it is recorded lost). The
// workers that take the jobs are redis-worker.ts (`irnn worker --redis URL`).
import { Queue } from 'bullmq';
import { Redis as IORedis } from 'ioredis';
import { rmSync } from 'node:fs';
import { mergeShard, type Merged } from '../store/merge.js';
import { pendingJobs } from '../store/sweeps.js';
import { isUserError, UserError } from '../util/errors.js';
import { shardsDir, type Engine, type Lost, type RemoteSweep } from './remote.js';
import { setting } from './settings.js';
import { unpackShard, type RemoteJob } from './shard.js';

/** What a worker returns for a job: its shard (gzip, base64), and nothing else. */
export interface RedisResult {
  shard: string;
}

/** The shard data of a job's result, once the result is known to be a RedisResult whose data is
 *  no longer than `maxBytes` could pack to; a user error says what is wrong otherwise. */
export function resultShard(v: unknown, maxBytes: number): string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UserError(`the result is not an object (${typeof v})`);
  const keys = Object.keys(v);
  if (keys.length !== 1 || keys[0] !== 'shard') throw new UserError(`the result has keys ${JSON.stringify(keys)}, expected ["shard"]`);
  const shard = (v as { shard: unknown }).shard;
  if (typeof shard !== 'string') throw new UserError('the result\'s shard is not a string');
  // gzip of incompressible bytes grows a little; base64 adds a third
  if (shard.length > Math.ceil(((maxBytes * 1.01 + 1024) * 4) / 3)) throw new UserError(`the result's shard is longer than a shard of ${maxBytes} bytes can be`);
  return shard;
}

const maxShardBytes = (s: RemoteSweep) => (setting(s.settings, 'max_shard_mb', 'number', { nullable: true }) ?? 256) * 2 ** 20;

export const redisJobId = (token: string, idx: number) => `${token}-${idx}`;
const PENDING = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** Fails fast, naming the URL, when the Redis server cannot be reached (the queue's own client
 *  would keep reconnecting for ever). */
async function ping(url: string): Promise<void> {
  const client = new IORedis(url, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new UserError(`launcher.url=${url}: cannot reach Redis (${((e as Error).message ?? String(e)).split('\n')[0]})`);
  } finally {
    client.disconnect();
  }
}

const queues = new Map<string, Queue>();
function queueOf(s: RemoteSweep): Queue {
  const url = setting(s.settings, 'url', 'string')!;
  const name = setting(s.settings, 'queue', 'string')!;
  const key = `${url} ${name}`;
  let q = queues.get(key);
  if (!q) {
    q = new Queue(name, { connection: { url, maxRetriesPerRequest: null, enableOfflineQueue: false, connectTimeout: 5000 } });
    q.on('error', () => undefined); // a failed command rejects and is reported there
    queues.set(key, q);
  }
  return q;
}

/** A Redis call that names the server when it cannot be reached. */
async function reach<T>(s: RemoteSweep, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/ECONNREFUSED|Stream isn't writeable|ENOTFOUND|ETIMEDOUT|Connection is closed/.test(msg)) {
      throw new UserError(`launcher.url=${String(s.settings['url'])}: cannot reach Redis (${msg.split('\n')[0]})`);
    }
    throw e;
  }
}


/** Unpacks a job's result into the sweep's shards folder and merges it; a result that is not this
 *  job's shard (or not a shard at all) is refused with the reason, and its file removed. */
async function mergeResult(s: RemoteSweep, idx: number, result: unknown): Promise<Merged | { refused: string }> {
  let path: string | null = null;
  try {
    const max = maxShardBytes(s);
    path = unpackShard(resultShard(result, max), { dir: shardsDir(s), idx, maxBytes: max });
    return await mergeShard(s.db, path, { sweepId: s.sweepId, token: s.token, idx });
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (!isUserError(e) && !/SQLITE_(CORRUPT|NOTADB)/.test(msg)) throw e;
    if (path) rmSync(path, { force: true });
    return { refused: msg.split('\n')[0]! };
  }
}

export const redisEngine: Engine = {
  async submit(s, jobs: RemoteJob[]) {
    await ping(setting(s.settings, 'url', 'string')!);
    const q = queueOf(s);
    const fresh: RemoteJob[] = [];
    for (const j of jobs) {
      const id = redisJobId(s.token, j.idx);
      const state = await reach(s, () => q.getJobState(id));
      if (PENDING.has(state)) continue; // still queued or running from an earlier launch
      if (state !== 'unknown') await q.remove(id); // ended before (a resume runs it again)
      fresh.push(j);
    }
    await reach(s, () =>
      // kept when done until the launcher has merged the shard (poll removes it)
      q.addBulk(fresh.map((data) => ({ name: 'job', data, opts: { jobId: redisJobId(s.token, data.idx), attempts: 1, removeOnComplete: false, removeOnFail: false } }))),
    );
  },

  async poll(s) {
    const q = queueOf(s);
    const merged: Merged[] = [];
    const lost: Lost[] = [];
    const active: number[] = [];
    for (const j of await pendingJobs(s.db, s.sweepId)) {
      const id = redisJobId(s.token, j.idx);
      const state = await reach(s, () => q.getJobState(id));
      if (state === 'active') active.push(j.idx);
      else if (state === 'failed') {
        const job = await q.getJob(id);
        lost.push({ idx: j.idx, status: 'failed', error: job?.failedReason || 'failed in the queue' });
        await reach(s, () => q.remove(id));
      } else if (state === 'completed') {
        const r = await mergeResult(s, j.idx, (await q.getJob(id))?.returnvalue);
        if ('refused' in r) lost.push({ idx: j.idx, status: 'failed', error: `its result was refused: ${r.refused}` });
        else merged.push(r);
        await reach(s, () => q.remove(id)); // merged (or refused): the queue need not keep it
      } else if (state === 'unknown') {
        lost.push({ idx: j.idx, status: 'interrupted', error: `not in the queue ${String(s.settings['queue'])} (irnn sweep --resume ${s.sweepId} queues it again)` });
      }
    }
    return { merged, lost, active };
  },

  async live(s) {
    await ping(setting(s.settings, 'url', 'string')!);
    const q = queueOf(s);
    const out = new Map<number, string>();
    for (const j of await pendingJobs(s.db, s.sweepId)) out.set(j.idx, await reach(s, () => q.getJobState(redisJobId(s.token, j.idx))));
    return out;
  },

  async close(s) {
    const q = queueOf(s);
    queues.delete(`${String(s.settings['url'])} ${String(s.settings['queue'])}`);
    await q.close();
  },
};
