// One remote job in a process of its own (forked by the Redis worker, redis-worker.ts), so its
// CPU-bound training never blocks the worker's queue-lock renewal. Takes the job over IPC, trains
// it into a shard (shard.ts) and answers with the shard's path. SIGINT/SIGTERM end the job as
// interrupted (with a checkpoint); losing the worker (killed) ends this process at once.
import { runJobToShard, type RemoteJob, type ShardResult } from './shard.js';

export type ToShardChild = { type: 'job'; job: RemoteJob; scratch: string };
export type FromShardChild = { type: 'done' } & ShardResult;

const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
process.on('SIGTERM', () => controller.abort());
process.on('disconnect', () => process.exit(1)); // the worker is gone: its job goes back to the queue

process.once('message', (m: ToShardChild) => {
  runJobToShard(m.job, { scratch: m.scratch, signal: controller.signal })
    .then((r) => new Promise<void>((resolve) => process.send!({ type: 'done', ...r } satisfies FromShardChild, undefined, {}, () => resolve())))
    .then(() => process.exit(0))
    .catch((e) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    });
});
process.send?.({ type: 'ready' });
