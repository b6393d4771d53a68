// `irnn worker --redis URL`: takes sweep jobs from a BullMQ queue, up to `concurrency` at a time,
// trains each in a child process (shard-child.ts: the CPU-bound job never blocks the lock renewal
// that tells the queue this worker is alive), and returns the job's shard as its result. A job
// planned by another harness version is refused. A worker that dies mid-job loses its lock; the
// queue's stalled-job check puts the job back and another worker runs it again from the start.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import { forkModule } from './fork.js';
import type { RedisResult } from './redis.js';
import type { FromShardChild, ToShardChild } from './shard-child.js';
import { packShard, type RemoteJob } from './shard.js';
import { UserError } from '../util/errors.js';
import { checkVersion } from './version.js';


/** Runs one job in a child process; resolves with its shard (the child's answer). */
function inChild(job: RemoteJob, scratch: string, children: Set<ChildProcess>): Promise<Extract<FromShardChild, { type: 'done' }>> {
  return new Promise((resolve, reject) => {
    const child = forkModule('shard-child', [], ['ignore', 'inherit', 'inherit', 'ipc']);
    children.add(child);
    let answer: FromShardChild | null = null;
    child.on('message', (m: FromShardChild | { type: 'ready' }) => {
      if (m.type === 'ready') child.send({ type: 'job', job, scratch } satisfies ToShardChild);
      else answer = m;
    });
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (answer) resolve(answer);
      else reject(new Error(`job ${job.idx}: its process ended without a shard (${signal ?? `exit code ${code}`})`));
    });
  });
}

export async function runRedisWorker(o: {
  url: string;
  queue: string;
  concurrency: number;
  /** How long a job's lock lasts without renewal: a dead worker's job is retried after about this. */
  lockMs: number;
  scratch?: string;
  log: (line: string) => void;
  signal: AbortSignal;
}): Promise<void> {
  const scratch = o.scratch ?? mkdtempSync(join(tmpdir(), 'irnn-worker-'));
  try {
    mkdirSync(scratch, { recursive: true });
  } catch (e) {
    throw new UserError(`--scratch ${scratch}: cannot make a folder there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const own = o.scratch === undefined;
  const children = new Set<ChildProcess>();
  const worker = new Worker<RemoteJob, RedisResult>(
    o.queue,
    async (job) => {
      const data = job.data;
      try {
        checkVersion(data.version);
      } catch (e) {
        o.log(`job ${data.idx} of sweep ${data.sweepId}: ${(e as Error).message}`);
        throw new UnrecoverableError((e as Error).message);
      }
      o.log(`job ${data.idx} of sweep ${data.sweepId} started (attempt ${job.attemptsStarted})`);
      const r = await inChild(data, scratch, children);
      try {
        const shard = await packShard(r.path);
        o.log(`job ${data.idx} of sweep ${data.sweepId} ${r.status}${r.error ? `: ${r.error}` : ''}`);
        return { shard };
      } finally {
        rmSync(r.path, { force: true });
        rmSync(`${r.path}-wal`, { force: true });
        rmSync(`${r.path}-shm`, { force: true });
      }
    },
    {
      connection: { url: o.url, maxRetriesPerRequest: null },
      concurrency: o.concurrency,
      lockDuration: o.lockMs,
      stalledInterval: o.lockMs,
      // a job whose worker died is put back twice at most, then fails (a job that kills its worker)
      maxStalledCount: 2,
      // jobs are removed by the launcher once it has merged their shards (redis.ts)
    },
  );
  worker.on('error', (e) => o.log(`redis: ${e.message}`));
  await worker.waitUntilReady();
  o.log(`worker ${process.pid} takes jobs from queue ${o.queue} at ${o.url} (concurrency ${o.concurrency})`);
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    o.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  // Running jobs end interrupted with a checkpoint, and their shards still go back as results.
  for (const c of children) c.kill('SIGTERM');
  await worker.close();
  if (own) rmSync(scratch, { recursive: true, force: true });
}
