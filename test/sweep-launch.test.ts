// The local launcher end to end, through the `irnn` binary: a sweep in two worker processes,
// skipping what is done, resuming after the launcher and its workers are SIGKILLed, and two
// processes writing metrics into one store at the same time with nothing lost.
import test from 'ava';
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { irnn, irnnDetached, query, tmpDb } from './sweep-helpers.js';
import { sleep } from '../src/util/time.js';

const TINY = ['task.seq_len=20', 'model.hidden=8', 'task.test_size=50'];

interface Job { idx: number; status: string; run_id: number | null; config_hash: string; worker_pid: number | null }
interface Run { id: number; status: string; pid: number; config_hash: string }

test('a sweep runs four jobs in two workers; the same sweep again runs nothing', async (t) => {
  const db = tmpDb();
  const args = ['sweep', 'model=irnn,lstm', 'seed=range(0,2)', 'train.steps=20', ...TINY, '--jobs', '2', '--db', db];
  const first = await irnn(args);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /sweep 1: 4 of 4 jobs to run/);
  t.regex(first.stderr, /job \d finished \(run \d/);
  const runs = await query<Run>(db, 'SELECT id, status, pid, config_hash FROM runs');
  t.is(runs.length, 4);
  t.true(runs.every((r) => r.status === 'finished'));
  t.is(new Set(runs.map((r) => r.pid)).size, 2, 'two worker processes');
  t.is(new Set(runs.map((r) => r.config_hash)).size, 4);
  const jobs = await query<Job>(db, 'SELECT idx, status, run_id, config_hash, worker_pid FROM sweep_jobs WHERE sweep_id = 1 ORDER BY idx');
  t.deepEqual(jobs.map((j) => j.status), ['finished', 'finished', 'finished', 'finished']);
  for (const j of jobs) t.is(runs.find((r) => r.id === j.run_id)?.pid, j.worker_pid!);
  const models = await query<{ model: string; seed: number }>(db, 'SELECT model, seed FROM runs ORDER BY model, seed');
  t.deepEqual(models, [{ model: 'irnn', seed: 0 }, { model: 'irnn', seed: 1 }, { model: 'lstm', seed: 0 }, { model: 'lstm', seed: 1 }]);

  const [again, shown] = await Promise.all([irnn(args), irnn(['sweeps', 'show', '1', '--json', '--db', db])]);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /all 4 jobs are already done/);
  t.is((await query(db, 'SELECT id FROM runs')).length, 4, 'nothing ran');
  const linked = await query<{ run_id: number; status: string; started_at: string | null }>(db, 'SELECT * FROM sweep_jobs WHERE sweep_id = 2 ORDER BY idx');
  t.deepEqual(linked.map((j) => j.run_id), jobs.map((j) => j.run_id), 'the second sweep links the same runs');
  t.true(linked.every((j) => j.status === 'finished' && j.started_at === null), 'as skipped jobs');
  t.is(shown.code, 0, shown.stderr);
  const sweep = JSON.parse(shown.stdout) as { status: string; jobs: Array<{ skipped: boolean; runId: number; result: { select: { name: string; value: number }; main: { name: string; value: number | null } } }> };
  t.is(sweep.status, 'finished');
  t.deepEqual(sweep.jobs.map((j) => j.runId), jobs.map((j) => j.run_id));
  t.true(sweep.jobs.every((j) => !j.skipped && j.result.select.name === 'valid_mse' && j.result.main.name === 'test_mse' && typeof j.result.main.value === 'number'));
});

test('SIGKILL of the launcher and its workers mid-sweep, then --resume: one finished run per job, no metric row lost or doubled', async (t) => {
  const db = tmpDb();
  const steps = 300;
  const every = 50;
  const child = irnnDetached(['sweep', 'seed=range(0,4)', `train.steps=${steps}`, `train.eval_every=${every}`, ...TINY, '--jobs', '2', '--db', db]);
  // wait until a job is part-way through its run: its run has logged some evaluations but not all
  let midway = false;
  for (let i = 0; i < 600 && !midway; i++) {
    await sleep(250);
    if (!existsSync(db)) continue;
    const rows = await query<{ n: number }>(db, "SELECT COUNT(DISTINCT m.step) AS n FROM runs r JOIN metrics m ON m.run_id = r.id WHERE r.status = 'running' GROUP BY r.id").catch(() => []);
    midway = rows.some((r) => r.n >= 2);
  }
  t.true(midway, 'the sweep got part-way');
  process.kill(-child.pid!, 'SIGKILL'); // the launcher and its workers, as a crash would
  await sleep(300);
  const lost = await query<{ id: number; n: number }>(db, "SELECT r.id, (SELECT COUNT(*) FROM metrics m WHERE m.run_id = r.id) AS n FROM runs r WHERE r.status = 'running'");
  t.true(lost.length >= 1, 'runs were left running');

  const resumed = await irnn(['sweep', '--resume', '1', '--jobs', '2', '--db', db]);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /resuming sweep 1: .*stale \(lost their worker, run again\): job \d/);
  t.regex(resumed.stdout, /sweep 1 finished: 4 finished/);

  const jobs = await query<Job>(db, 'SELECT idx, status, run_id, config_hash, worker_pid FROM sweep_jobs WHERE sweep_id = 1');
  const runs = await query<Run>(db, 'SELECT id, status, pid, config_hash FROM runs');
  t.is(jobs.length, 4);
  for (const j of jobs) {
    t.is(j.status, 'finished');
    const finished = runs.filter((r) => r.config_hash === j.config_hash && r.status === 'finished');
    t.is(finished.length, 1, `job ${j.idx}: exactly one finished run`);
    t.is(finished[0]!.id, j.run_id!);
  }
  t.false(runs.some((r) => r.status === 'running'), 'no run is left running');
  const evalSteps = Array.from({ length: steps / every + 1 }, (_, i) => i * every);
  for (const j of jobs) {
    const rows = await query<{ step: number; name: string }>(db, 'SELECT step, name FROM metrics WHERE run_id = ? ORDER BY step, name', [j.run_id!]);
    t.deepEqual(rows.filter((r) => r.name === 'test_mse').map((r) => r.step), evalSteps, `job ${j.idx}: test_mse at every evaluation`);
    t.deepEqual(rows.filter((r) => r.name === 'train_loss').map((r) => r.step), evalSteps.slice(1), `job ${j.idx}: train_loss after every interval`);
    t.is(new Set(rows.map((r) => `${r.step}/${r.name}`)).size, rows.length, 'no duplicated metric row');
  }
  for (const l of lost) {
    const after = await query<{ status: string; n: number }>(db, 'SELECT status, (SELECT COUNT(*) FROM metrics m WHERE m.run_id = r.id) AS n FROM runs r WHERE id = ?', [l.id]);
    t.deepEqual(after[0], { status: 'interrupted', n: l.n }, `run ${l.id} is interrupted and keeps its ${l.n} metric rows`);
  }
});

test('two processes logging metrics into one store at the same time lose nothing', async (t) => {
  const db = tmpDb();
  const steps = 300;
  const writer = fileURLToPath(new URL('./sweep-writer.ts', import.meta.url));
  const procs = [0, 1].map(() => fork(writer, [db, String(steps)], { execArgv: ['--import', 'tsx'] }));
  await Promise.all(procs.map((p) => new Promise((r) => p.once('message', r))));
  const done = procs.map((p) => new Promise<{ runId: number }>((r) => p.once('message', (m) => r(m as { runId: number }))));
  for (const p of procs) p.send('go');
  const ids = (await Promise.all(done)).map((d) => d.runId);
  const spans: Array<[number, number]> = [];
  for (const id of ids) {
    const rows = await query<{ step: number; name: string; value: number; wall_time: number }>(db, 'SELECT * FROM metrics WHERE run_id = ? ORDER BY step, name', [id]);
    t.is(rows.length, steps * 3);
    t.deepEqual(rows.filter((r) => r.name === 'c').map((r) => r.value), Array.from({ length: steps }, (_, s) => s * id));
    spans.push([rows[0]!.wall_time, rows[rows.length - 1]!.wall_time]);
  }
  t.true(Math.max(spans[0]![0], spans[1]![0]) < Math.min(spans[0]![1], spans[1]![1]), 'the two writers overlapped in time');
});
