// Resuming sweeps with checkpoints: after a SIGKILL of the launcher and its workers, `--resume`
// continues the interrupted jobs' own runs from their checkpoints (first step after resuming past
// 0, metric rows equal to an uninterrupted sweep's); a sweep started with --rerun reruns on resume
// too; a run lost between its creation and its job's link is found by heartbeat; and creating a
// run and linking it to its job is one transaction; a job whose recorded checkpoint is gone says
// so before it starts over.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { composeConfig, configHash } from '../src/config/index.js';
import { runSweep } from '../src/launch/index.js';
import { Db } from '../src/store/db.js';
import { createRun } from '../src/store/runs.js';
import { claimJob, createSweep, linkJobRun } from '../src/store/sweeps.js';
import { TIMING_METRICS } from '../src/train/run.js';
import { irnn, irnnDetached, query, runCheckpointDir, tmpDb } from './sweep-helpers.js';
import { sleep } from '../src/util/time.js';

const TINY = ['task.seq_len=20', 'model.hidden=16', 'task.test_size=50'];

/** Every metric row of a run but the timing ones (TIMING_METRICS), as "step name value" lines. */
async function rows(db: string, id: number): Promise<string[]> {
  const r = await query<{ step: number; name: string; value: number | null }>(
    db, 'SELECT step, name, value FROM metrics WHERE run_id = ? ORDER BY step, name', [id],
  );
  return r.filter((x) => !TIMING_METRICS.includes(x.name)).map((x) => `${x.step} ${x.name} ${x.value}`);
}

test('SIGKILL of a sweep, then --resume: interrupted jobs continue their own runs from their checkpoints', async (t) => {
  const db = tmpDb();
  const grid = ['seed=range(0,4)', 'train.steps=1500', 'train.eval_every=50', 'train.checkpoint_every=100', ...TINY, '--jobs', '2'];
  const twin = tmpDb();
  const reference = irnn(['sweep', ...grid, '--db', twin]);
  const child = irnnDetached(['sweep', ...grid, '--db', db]);
  let ready = false;
  for (let i = 0; i < 2400 && !ready; i++) {
    await sleep(50);
    // a running job with checkpoints, and (when possible) no running job still without one
    const r = await query<{ n: number; bare: number }>(
      db, "SELECT SUM(checkpoint_step >= 200) AS n, SUM(checkpoint_step IS NULL) AS bare FROM runs WHERE status = 'running'",
    ).catch(() => []);
    ready = (r[0]?.n ?? 0) >= 1 && ((r[0]?.bare ?? 0) === 0 || i > 1200);
  }
  t.true(ready, 'a running job wrote checkpoints');
  process.kill(-child.pid!, 'SIGKILL');
  await sleep(300);
  const lost = await query<{ id: number; checkpoint_step: number | null }>(db, "SELECT id, checkpoint_step FROM runs WHERE status = 'running'");
  const withCheckpoint = lost.filter((r) => r.checkpoint_step !== null);
  t.true(withCheckpoint.length >= 1);

  const resumed = await irnn(['sweep', '--resume', '1', '--jobs', '2', '--db', db]);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /resuming sweep 1: .*continued from checkpoints: job \d/);
  t.regex(resumed.stderr, /job \d continues from its checkpoint/);
  t.regex(resumed.stdout, /sweep 1 finished: 4 finished/);

  // A job killed before its first checkpoint starts afresh (its run stays interrupted); every other
  // job goes on in its own run.
  const bare = lost.filter((r) => r.checkpoint_step === null).map((r) => r.id);
  const all = await query<{ id: number; status: string; seed: number; resumes_json: string | null }>(db, 'SELECT id, status, seed, resumes_json FROM runs ORDER BY id');
  t.is(all.length, 4 + bare.length, 'no job with a checkpoint started a second run');
  t.deepEqual(all.filter((r) => r.status !== 'finished').map((r) => r.id), bare);
  const runs = all.filter((r) => !bare.includes(r.id));
  t.is(runs.length, 4);
  for (const l of withCheckpoint) {
    const run = runs.find((r) => r.id === l.id)!;
    const [resume] = JSON.parse(run.resumes_json!) as Array<{ step: number }>;
    t.true(resume!.step >= l.checkpoint_step! && resume!.step > 0, `run ${l.id} went on from step ${resume!.step}`);
  }
  t.is((await reference).code, 0);
  const twins = await query<{ id: number; seed: number }>(twin, 'SELECT id, seed FROM runs');
  for (const r of runs) t.deepEqual(await rows(db, r.id), await rows(twin, twins.find((x) => x.seed === r.seed)!.id), `seed ${r.seed}`);
});

test('a sweep started with --rerun reruns its jobs when resumed, instead of skipping them', async (t) => {
  const db = tmpDb();
  const grid = ['seed=0,1', 'train.steps=20', ...TINY];
  t.is((await irnn(['sweep', ...grid, '--db', db])).code, 0);
  const store = await Db.open(db);
  const stopped = new AbortController();
  stopped.abort(); // interrupted before any job ran: both stay queued
  const r = await runSweep({ db: store, overrides: grid, rerun: true, command: 'test', signal: stopped.signal });
  await store.close();
  t.is(r.status, 'interrupted');
  const resumed = await irnn(['sweep', '--resume', '2', '--db', db]);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /resuming sweep 2: 2 of 2 jobs to run/);
  t.notRegex(resumed.stdout, /already done/);
  const jobs = await query<{ run_id: number; status: string }>(db, 'SELECT run_id, status FROM sweep_jobs WHERE sweep_id = 2 ORDER BY idx');
  t.deepEqual(jobs.map((j) => j.status), ['finished', 'finished']);
  t.deepEqual(jobs.map((j) => j.run_id), [3, 4], 'new runs, not the first sweep\'s');
});

test('resume finds runs lost between their creation and their job link, by process or by heartbeat', async (t) => {
  const db = tmpDb();
  const overrides = ['train.steps=20', ...TINY];
  const hash = configHash(composeConfig({ overrides }).config);
  const dead = spawnSync(process.execPath, ['-e', '']).pid!; // a process id that has exited
  const store = await Db.open(db);
  const sweepId = await createSweep(store, { spec: { overrides }, command: 'test', jobs: [{ idx: 1, overrides, configHash: hash }] });
  t.true(await claimJob(store, sweepId, 1, dead));
  const run = (over: { pid: number; host: string }) =>
    createRun(store, { task: 'adding', model: 'irnn', seed: 0, config: {}, configHash: hash, overrides, steps: 20, git: { commit: null, dirty: null }, versions: {}, ...over });
  const gone = await run({ pid: dead, host: hostname() });
  const silent = await run({ pid: 1, host: 'elsewhere' });
  await store.run("UPDATE runs SET heartbeat_at = '2001-01-01T00:00:00.000Z' WHERE id = ?", [silent]);
  await store.close();

  const resumed = await irnn(['sweep', '--resume', '1', '--db', db]);
  t.is(resumed.code, 0, resumed.stderr);
  const runs = await query<{ id: number; status: string; error: string | null }>(db, 'SELECT id, status, error FROM runs ORDER BY id');
  t.like(runs[gone - 1], { status: 'interrupted' });
  t.like(runs[silent - 1], { status: 'interrupted' });
  t.regex(runs[gone - 1]!.error!, /lost before its sweep job recorded it/);
  const [job] = await query<{ status: string; run_id: number }>(db, 'SELECT status, run_id FROM sweep_jobs WHERE sweep_id = 1');
  t.deepEqual(job, { status: 'finished', run_id: 3 });
  t.false(runs.some((r) => r.status === 'running'));
});

test('a run and its job link are written in one transaction: a failed link leaves no run behind', async (t) => {
  const store = await Db.open(tmpDb());
  const sweepId = await createSweep(store, { spec: {}, command: 'test', jobs: [{ idx: 1, overrides: [], configHash: 'h' }] });
  const newRun = { task: 'adding', model: 'irnn', seed: 0, config: {}, configHash: 'h', overrides: [], steps: 1, git: { commit: null, dirty: null }, versions: {}, host: 'h', pid: 1 };
  await t.throwsAsync(createRun(store, newRun, async () => {
    throw new Error('killed here');
  }));
  t.deepEqual(await store.all('SELECT id FROM runs'), []);
  const id = await createRun(store, newRun, (runId) => linkJobRun(store, sweepId, 1, runId));
  t.deepEqual(await store.all('SELECT run_id FROM sweep_jobs'), [{ run_id: id }]);
  await store.close();
});

test('a job whose recorded checkpoint is gone says so when the sweep is resumed, and starts again from step 0', async (t) => {
  const db = tmpDb();
  const child = irnnDetached(['sweep', 'seed=7', 'train.steps=3000', 'train.eval_every=50', 'train.checkpoint_every=100', ...TINY, '--db', db]);
  let step = 0;
  for (let i = 0; i < 2400 && step < 200; i++) {
    await sleep(50);
    step = (await query<{ s: number | null }>(db, "SELECT MAX(checkpoint_step) AS s FROM runs WHERE status = 'running'").catch(() => []))[0]?.s ?? 0;
  }
  t.true(step >= 200, 'the job wrote checkpoints');
  process.kill(-child.pid!, 'SIGKILL');
  await sleep(300);
  rmSync(await runCheckpointDir(db, 1), { recursive: true, force: true });
  const resumed = await irnn(['sweep', '--resume', '1', '--db', db]);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stderr, /run 1 recorded a checkpoint at step \d+ \(.+\) and none can be used now: its job starts again from step 0/);
  t.notRegex(resumed.stderr, /continues from its checkpoint/);
  const runs = await query<{ id: number; status: string; resumes_json: string | null }>(db, 'SELECT id, status, resumes_json FROM runs ORDER BY id');
  t.deepEqual(runs.map((r) => `${r.id} ${r.status} ${r.resumes_json}`), ['1 interrupted null', '2 finished null'], 'the job ran again in a run of its own, from step 0');
});
