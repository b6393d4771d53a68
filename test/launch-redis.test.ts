// The Redis launcher against a real redis-server on 127.0.0.1 (started here) and real `irnn worker`
// processes: a sweep finishes every job into the central store exactly once, a worker killed with
// SIGKILL mid-job has its job retried by another worker, a failing job is recorded failed with its
// error, collecting the shards again adds nothing, a job from another version is refused, a
// forged or oversized result is refused without writing outside the sweep's folder, and a job
// leaves the queue once it is merged.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { Queue, Worker } from 'bullmq';
import { packShard, runJobToShard, type RemoteJob } from '../src/launch/shard.js';
import { startRedis, stop, waitFor, type Redis } from './daemons.js';
import { BIN, irnn, lastEvalStep, query, tmpDb } from './sweep-helpers.js';

const TINY = ['task.seq_len=20', 'model.hidden=8', 'task.test_size=50'];

let redis: Redis;
test.before(async () => {
  redis = await startRedis();
});
test.after.always(async () => {
  await redis?.stop();
});

/** An `irnn worker` on a queue; its stderr lines are kept (which job it started). */
function worker(queue: string, extra: string[] = []): { child: ChildProcess; log: string[] } {
  const child = spawn(process.execPath, [BIN, 'worker', '--redis', redis.url, '--queue', queue, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => log.push(...d.split('\n').filter(Boolean)));
  return { child, log };
}

interface Run { id: number; status: string; config_hash: string; origin: string | null }

test.serial('a 6-job sweep with two workers puts every run in the central store once; collecting again adds nothing', async (t) => {
  const db = tmpDb();
  const workers = [worker('six'), worker('six')];
  try {
    const r = await irnn(['sweep', 'launcher=redis', `launcher.url=${redis.url}`, 'launcher.queue=six', 'seed=range(0,6)', 'train.steps=10', ...TINY, '--db', db]);
    t.is(r.code, 0, r.stderr + r.stdout);
    t.regex(r.stdout, /sweep 1 finished: 6 finished/);
    const runs = await query<Run>(db, 'SELECT id, status, config_hash, origin FROM runs ORDER BY id');
    t.is(runs.length, 6);
    t.true(runs.every((x) => x.status === 'finished' && x.origin !== null));
    t.is(new Set(runs.map((x) => x.config_hash)).size, 6);
    const jobs = await query<{ status: string; run_id: number }>(db, 'SELECT status, run_id FROM sweep_jobs WHERE sweep_id = 1');
    t.deepEqual(jobs.map((j) => j.status), Array(6).fill('finished'));
    t.deepEqual(jobs.map((j) => j.run_id).sort(), runs.map((x) => x.id).sort());
    // both workers took jobs
    t.true(workers.every((w) => w.log.some((l) => /job \d of sweep 1 started/.test(l))), workers.map((w) => w.log.join('\n')).join('\n---\n'));
    const metrics = await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM metrics');
    const again = await irnn(['sweep', 'collect', '1', '--db', db]);
    t.is(again.code, 0, again.stderr);
    t.regex(again.stdout, /merged 0 new shards \(0 read\), 0 lost; 0 jobs still queued or running/, 'merged jobs are gone from the queue: nothing to read again');
    t.is((await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM runs'))[0]!.n, 6);
    t.is((await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM metrics'))[0]!.n, metrics[0]!.n);
    // the same sweep on the local launcher recognises every run (launcher settings are not in the hash)
    const local = await irnn(['sweep', 'seed=range(0,6)', 'train.steps=10', ...TINY, '--db', db]);
    t.regex(local.stdout, /all 6 jobs are already done/);
    // merged jobs leave the queue: Redis keeps nothing of a finished sweep
    const q = new Queue('six', { connection: { url: redis.url } });
    try {
      t.deepEqual(await q.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed'), { completed: 0, failed: 0, waiting: 0, active: 0, delayed: 0 });
    } finally {
      await q.close();
    }
  } finally {
    for (const w of workers) await stop(w.child);
  }
});

test.serial('a worker killed with SIGKILL mid-job: its job is retried by the other worker and completes once', async (t) => {
  const db = tmpDb();
  const scratch = mkdtempSync(join(tmpdir(), 'irnn-redis-scratch-'));
  const first = worker('kill', ['--lock-seconds', '2', '--scratch', scratch]);
  let second: ReturnType<typeof worker> | null = null;
  const sweep = spawn(process.execPath, [BIN, 'sweep', 'launcher=redis', `launcher.url=${redis.url}`, 'launcher.queue=kill', 'train.steps=20000', 'train.eval_every=1000', ...TINY, '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  sweep.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  sweep.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const ended = new Promise<number | null>((r) => sweep.on('exit', (c) => r(c)));
  try {
    await waitFor('the first worker to start the job', () => first.log.some((l) => /job 1 of sweep 1 started/.test(l)), 120_000);
    // kill it without warning as soon as its shard holds an evaluation past step 0: mid-job however
    // fast the machine is (a fixed wait can outlast the 20,000 steps on a quick one)
    await waitFor('the first worker to evaluate past step 0', async () => (await lastEvalStep(scratch)) > 0, 120_000);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const at = await lastEvalStep(scratch);
    t.true(at > 0 && at < 20_000, `the kill landed mid-job (its shard's last evaluation: step ${at})`);
    second = worker('kill', ['--lock-seconds', '2']);
    // a limit that does not keep the test process alive once the sweep has ended
    const code = await Promise.race([ended, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 400_000).unref())]);
    t.is(code, 0, out + second.log.join('\n'));
    t.true(second.log.some((l) => /job 1 of sweep 1 started \(attempt 2\)/.test(l)), second.log.join('\n'));
    const runs = await query<Run>(db, 'SELECT id, status, config_hash, origin FROM runs');
    t.is(runs.length, 1);
    t.is(runs[0]!.status, 'finished');
    const dup = await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM (SELECT step, name FROM metrics GROUP BY run_id, step, name HAVING COUNT(*) > 1)');
    t.is(dup[0]!.n, 0);
    const steps = await query<{ step: number }>(db, "SELECT step FROM metrics WHERE name = 'valid_mse' ORDER BY step");
    t.deepEqual(steps.map((s) => s.step), Array.from({ length: 21 }, (_, i) => i * 1000), 'one run, evaluated once at each step');
  } finally {
    await stop(sweep);
    await stop(first.child);
    if (second) await stop(second.child);
  }
});

test.serial('a failing job is recorded failed with its error; a job from another harness version is refused', async (t) => {
  const db = tmpDb();
  const w = worker('fail');
  try {
    // tfjs-node is not installed: the job fails when it sets up its backend, after planning passed
    const r = await irnn(['sweep', 'launcher=redis', `launcher.url=${redis.url}`, 'launcher.queue=fail', 'backend=tensorflow,wasm', 'train.steps=10', ...TINY, '--db', db]);
    t.is(r.code, 1, r.stderr);
    const jobs = await query<{ idx: number; status: string; error: string | null }>(db, 'SELECT idx, status, error FROM sweep_jobs ORDER BY idx');
    t.is(jobs[0]!.status, 'failed');
    t.regex(jobs[0]!.error ?? '', /tensorflow|tfjs-node/i);
    t.is(jobs[1]!.status, 'finished');
    t.regex(r.stdout, /sweep 1 failed: 1 finished, 0 diverged, 1 failed/);

    const q = new Queue('fail', { connection: { url: redis.url } });
    try {
      await q.add('job', { token: 'other', sweepId: 9, idx: 1, overrides: [], version: 'irnn-harness 0.0.1 (0123456789ab)' }, { jobId: 'other-1', attempts: 1 });
      await waitFor('the job to be refused', async () => (await q.getJobState('other-1')) === 'failed', 60_000);
      const job = await q.getJob('other-1');
      t.regex(job!.failedReason, /version mismatch: the job was planned by irnn-harness 0\.0\.1 \(0123456789ab\), this worker runs /);
      t.is(job!.attemptsMade, 1, 'refused, not retried');
      t.is(w.child.exitCode, null, 'the worker goes on');
    } finally {
      await q.close();
    }
  } finally {
    await stop(w.child);
  }
});

test.serial('--detach submits and returns; sweeps show reads the queue; collect merges what finished and settles the sweep', async (t) => {
  const db = tmpDb();
  const r = await irnn(['sweep', 'launcher=redis', `launcher.url=${redis.url}`, 'launcher.queue=detach', 'seed=range(0,2)', 'train.steps=10', ...TINY, '--db', db, '--detach']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /sweep 1 submitted .*irnn sweep collect 1/);
  const before = await irnn(['sweeps', 'show', '1', '--db', db]);
  t.regex(before.stdout, /sweep 1: running, 2 jobs \(2 queued\)/);
  t.regex(before.stdout, /redis: 2 waiting/);
  t.regex(before.stdout, /queued: waiting/);
  const w = worker('detach');
  try {
    const q = new Queue('detach', { connection: { url: redis.url } });
    try {
      await waitFor('both jobs to complete in the queue', async () => (await q.getJobCounts('completed')).completed === 2, 300_000);
    } finally {
      await q.close();
    }
  } finally {
    await stop(w.child);
  }
  const during = await irnn(['sweeps', 'show', '1', '--db', db]);
  t.regex(during.stdout, /redis: 2 completed/);
  t.is((await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM runs'))[0]!.n, 0, 'nothing merged before collect');
  const c = await irnn(['sweep', 'collect', '1', '--db', db]);
  t.is(c.code, 0, c.stderr);
  t.regex(c.stdout, /merged 2 new shards .* 0 jobs still queued or running; sweep finished/);
  t.is((await query<{ n: number }>(db, "SELECT COUNT(*) AS n FROM runs WHERE status = 'finished'"))[0]!.n, 2);
  const resumed = await irnn(['sweep', '--resume', '1', '--db', db]);
  t.regex(resumed.stdout, /nothing left to run/);
});

/** Every file under a folder, as paths relative to it. */
function tree(dir: string, under = ''): string[] {
  return readdirSync(join(dir, under)).flatMap((f) => (statSync(join(dir, under, f)).isDirectory() ? tree(dir, join(under, f)) : [join(under, f)]));
}

test.serial('a forged result cannot name a file, an oversized one is refused, and neither reaches the store', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'irnn-redis-forged-'));
  const db = join(root, 'results.sqlite');
  const r = await irnn(['sweep', 'launcher=redis', `launcher.url=${redis.url}`, 'launcher.queue=forged', 'launcher.max_shard_mb=1',
    'seed=0,1', 'train.steps=2', ...TINY, '--db', db, '--detach']);
  t.is(r.code, 0, r.stderr);
  const folder = JSON.parse((await query<{ spec_json: string }>(db, 'SELECT spec_json FROM sweeps WHERE id = 1'))[0]!.spec_json).folder as string;
  // the name the launcher used to build from a worker's `origin`: here, the central store itself
  const origin = '../../../../../results';
  t.is(join(folder, 'shards', `job-1-${origin}.sqlite`), db);
  const scratch = join(root, 'scratch');
  mkdirSync(scratch);
  // a worker that answers job 1 with its real shard under a forged origin, job 2 with a gzip bomb
  const w = new Worker<RemoteJob>('forged', async (job) => {
    if (job.data.idx === 2) return { shard: gzipSync(Buffer.alloc(4 << 20)).toString('base64') };
    return { origin, shard: await packShard((await runJobToShard(job.data, { scratch })).path) };
  }, { connection: { url: redis.url, maxRetriesPerRequest: null } });
  const q = new Queue('forged', { connection: { url: redis.url } });
  try {
    await waitFor('both results', async () => (await q.getJobCounts('completed')).completed === 2, 120_000);
    await w.close();
    const c = await irnn(['sweep', 'collect', '1', '--db', db]);
    t.is(c.code, 0, c.stderr);
    const jobs = await query<{ idx: number; status: string; error: string }>(db, 'SELECT idx, status, error FROM sweep_jobs WHERE sweep_id = 1 ORDER BY idx');
    t.is(jobs[0]!.status, 'failed');
    t.regex(jobs[0]!.error, /its result was refused: the result has keys \["origin","shard"\]/);
    t.is(jobs[1]!.status, 'failed');
    t.regex(jobs[1]!.error, /its result was refused: the shard unpacks to more than 1048576 bytes/);
    // the store is still the central store, and nothing was written outside the shards folder
    t.truthy(JSON.parse((await query<{ spec_json: string }>(db, 'SELECT spec_json FROM sweeps WHERE id = 1'))[0]!.spec_json).token);
    t.is((await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM runs'))[0]!.n, 0);
    const outside = tree(root).filter((f) => !f.startsWith('scratch/') && !f.startsWith('sweeps/') && !/^results\.sqlite(-wal|-shm)?$/.test(f));
    t.deepEqual(outside, []);
    t.deepEqual(tree(root, 'sweeps').filter((f) => f.includes('shards')), [], 'refused results leave no file');
    t.deepEqual(await q.getJobCounts('completed', 'failed'), { completed: 0, failed: 0 }, 'refused jobs leave the queue too');
  } finally {
    await w.close();
    await q.close();
  }
});
