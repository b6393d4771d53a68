// The Redis launcher's side of the queue (BullMQ): enqueue a sweep's jobs (job id = sweep token +
// job index, so a job is never queued twice), read each job's state, and turn a completed job's
// result (its shard, gzip + base64) into a file in the sweep's folder that merge.ts merges. The
// workers that take the jobs are redis-worker.ts (`irnn worker --redis URL`).
import { Queue } from 'bullmq';
import { Redis as IORedis } from 'ioredis';
import type { Db } from '../store/db.js';
import { getSweep } from '../store/sweeps.js';
import { UserError } from '../util/errors.js';
import { mergeShard, type Merged } from '../store/merge.js';
import { shardsDir, type Engine, type Lost, type RemoteSweep } from './remote.js';
import { setting } from './settings.js';
import { unpackShard, type RemoteJob } from './shard.js';

/** What a worker returns for a job: the shard and its merge key. */
export interface RedisResult {
  origin: string;
  shard: string;
}

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

const pendingJobs = async (db: Db, sweepId: number) => (await getSweep(db, sweepId))!.jobs.filter((j) => j.status === 'queued' || j.status === 'running');

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
      } else if (state === 'completed') {
        const r = (await q.getJob(id))!.returnvalue as RedisResult;
        const path = unpackShard(r.shard, shardsDir(s), `job-${j.idx}-${r.origin}.sqlite`);
        merged.push(await mergeShard(s.db, path, s));
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
