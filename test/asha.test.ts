// ASHA (sweep.scheduler=asha): the scheduler's rungs, decisions and promotions against the rule
// (a job goes on from a rung while it ranks in the best max(1, floor(n / eta)) of the n jobs there),
// the metric it ranks on, and a sweep through the binary that prunes jobs, says why, promotes a
// paused job that continues from its checkpoint, and spends fewer steps than the grid.
import test from 'ava';
import { planNew } from '../src/launch/plan.js';
import { makeScheduler, rungValue, selectMetric, type RungScore } from '../src/launch/scheduler.js';
import { listCheckpoints } from '../src/train/checkpoint-file.js';
import { irnn, query, runCheckpointDir, tmpDb } from './sweep-helpers.js';

const asha = (grace = 100, reductionFactor = 3) => makeScheduler({ scheduler: 'asha', grace, reductionFactor });
const score = (idx: number, rung: number, value: number | null, goal: 'min' | 'max' = 'min'): RungScore => ({ idx, rung, metric: 'valid_mse', value, goal });

test('rungs at grace * eta^k below the last step; grid has none', (t) => {
  t.deepEqual(asha(100, 3).rungs(1000), [100, 300, 900]);
  t.deepEqual(asha(100, 3).rungs(900), [100, 300]);
  t.deepEqual(asha(250, 2).rungs(2000), [250, 500, 1000]);
  t.deepEqual(makeScheduler({ scheduler: 'grid', grace: 100, reductionFactor: 3 }).rungs(1000), []);
});

test('a job goes on while it ranks in the best max(1, floor(n/eta)) at its rung, and says why when it does not', (t) => {
  const s = asha(100, 3);
  t.is(s.atRung(score(1, 100, 0.5)), null, 'alone at the rung: the best 1 of 1');
  t.is(s.atRung(score(2, 100, 0.6)), 'valid_mse 0.6000 at step 100 ranks 2 of 2; the best 1 go on (1/3)');
  t.is(s.atRung(score(3, 100, 0.4)), null, 'better than every job so far');
  t.regex(s.atRung(score(4, 100, 0.7))!, /ranks 4 of 4; the best 1 go on/);
  t.regex(s.atRung(score(5, 100, 0.8))!, /ranks 5 of 5/);
  // Six jobs at the rung: the best 2 go on, and jobs 3 and 1 went on already; job 2 is third.
  t.regex(s.atRung(score(6, 100, 0.9))!, /ranks 6 of 6; the best 2 go on/);
  t.is(s.promote(), null);
  t.regex(s.atRung(score(7, 100, null))!, /no valid_mse logged at step 100 ranks 7 of 7/);
  // Nine jobs (two more known from before): the best 3 go on, so paused job 2 is promoted, once.
  s.record(score(8, 100, 1.0), false);
  s.record(score(9, 100, 1.1), false);
  t.is(s.promote(), 2);
  t.is(s.promote(), null);
});

test('higher is better for accuracy; a higher rung is promoted first', (t) => {
  const s = asha(100, 2);
  t.is(s.atRung(score(1, 100, 0.9, 'max')), null);
  t.regex(s.atRung(score(2, 100, 0.5, 'max'))!, /ranks 2 of 2/);
  t.is(s.atRung(score(1, 200, 0.95, 'max')), null);
  t.regex(s.atRung(score(3, 100, 0.8, 'max'))!, /ranks 2 of 3/);
  s.record(score(4, 200, 0.97, 'max'), false);
  t.regex(s.atRung(score(5, 200, 0.5, 'max'))!, /ranks 3 of 3; the best 1 go on/);
  s.record(score(6, 100, 0.1, 'max'), false);
  // Rung 100 now holds 4 jobs (the best 2 go on: jobs 1 and 3); rung 200 gets to 6 (the best 3:
  // jobs 4, 1 and 5).
  for (const [idx, v] of [[7, 0.4], [8, 0.3], [9, 0.2]] as const) s.record(score(idx, 200, v, 'max'), false);
  t.is(s.promote(), 5, 'job 5, third of six at step 200, goes before job 3 at step 100');
  t.is(s.promote(), 3);
  t.is(s.promote(), null);
});

test('a sweep refuses rungs off the evaluation steps and sweep settings that differ between jobs', async (t) => {
  await t.throwsAsync(planNew(null, { overrides: ['sweep.scheduler=asha', 'sweep.grace=300', 'train.eval_every=250'] }), {
    message: /job 1 \[.*\]: sweep\.grace=300 must be a multiple of train\.eval_every=250/,
  });
  await t.throwsAsync(planNew(null, { overrides: ['sweep.scheduler=asha', 'sweep.grace=500,1000'] }), {
    message: /job 2 \[.*\]: sweep\.\* settings must be the same for every job/,
  });
  const { settings } = await planNew(null, { overrides: ['sweep.scheduler=asha', 'seed=0,1'] });
  t.deepEqual(settings, { scheduler: 'asha', grace: 500, reductionFactor: 3 });
});

test('the ranked metric: the task names it, else the test metric\'s validation twin, else the main metric itself', (t) => {
  t.is(selectMetric({ name: 'test_acc' }), 'valid_acc');
  t.is(selectMetric({ name: 'test_fer', select: 'valid_loss' }), 'valid_loss');
  t.deepEqual(rungValue({ name: 'test_mse', goal: 'min' }, { valid_mse: 0.1, test_mse: 0.2 }), { metric: 'valid_mse', value: 0.1, goal: 'min' });
  t.deepEqual(rungValue({ name: 'test_mse', goal: 'min' }, { test_mse: 0.2 }), { metric: 'test_mse', value: 0.2, goal: 'min' });
});

test('irnn sweep sweep.scheduler=asha prunes jobs, says which and why, and promotes a paused job from its checkpoint', async (t) => {
  const db = tmpDb();
  // One worker, so jobs reach their rungs in job order and the decisions are the same every time:
  // job 1 (lr 1e-2) leads at step 100 on the validation set, job 2 (3e-3) is paused there behind it,
  // jobs 3 and 4 (1e-6, 1e-5) hardly move from their start, so with four jobs at step 100 job 2 is
  // second of four and is promoted.
  const steps = 800;
  const args = ['sweep', 'optimizer.lr=1e-2,3e-3,1e-6,1e-5', 'task.seq_len=10', 'model.hidden=8', 'task.test_size=200',
    `train.steps=${steps}`, 'train.eval_every=100', 'sweep.scheduler=asha', 'sweep.grace=100', 'sweep.reduction_factor=2', '--jobs', '1', '--db', db];
  const r = await irnn(args);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /scheduler asha: rungs every x2 from step 100/);
  t.regex(r.stderr, /\[\d\/4 done, \d running, 0 failed, \d pruned, eta [^\]]+\] job \d pruned at step 100 \(run \d, [^)]+\): valid_mse [\d.]+ at step 100 ranks \d of \d; the best \d go on \(1\/2\)/);
  t.regex(r.stderr, /job 2 continues from its checkpoint/);
  t.regex(r.stdout, /sweep 1 finished: \d finished, 0 diverged, 0 failed, [1-3] pruned/);

  const runs = await query<{ id: number; status: string; step: number; prune_rung: number | null; prune_reason: string | null; resumes_json: string | null }>(db, 'SELECT * FROM runs ORDER BY id');
  t.is(runs.length, 4, 'a promoted job continues its own run');
  const pruned = runs.filter((x) => x.status === 'pruned');
  t.true(pruned.length >= 1);
  for (const p of pruned) {
    t.true([100, 200, 400].includes(p.prune_rung!), `run ${p.id} stopped at a rung`);
    t.is(p.step, p.prune_rung!);
    t.regex(p.prune_reason!, /ranks \d of \d/);
    const last = await query<{ s: number }>(db, 'SELECT MAX(step) AS s FROM metrics WHERE run_id = ?', [p.id]);
    t.is(last[0]!.s, p.prune_rung!, 'no metric row after the rung');
    t.deepEqual(listCheckpoints(await runCheckpointDir(db, p.id)).map((c) => c.step).pop(), p.prune_rung!, 'a checkpoint at the rung, for a promotion');
  }
  const promoted = runs.find((x) => x.id === 2)!;
  t.like(JSON.parse(promoted.resumes_json!), [{ step: 100 }]);
  t.true(promoted.step > 100);
  const rows = await query<{ step: number; n: number }>(db, "SELECT step, COUNT(*) AS n FROM metrics WHERE run_id = 2 AND name = 'test_mse' GROUP BY step ORDER BY step");
  t.deepEqual(rows.map((x) => x.step), Array.from({ length: promoted.step / 100 + 1 }, (_, i) => i * 100), 'one evaluation per step, no gap at the promotion');
  t.true(rows.every((x) => x.n === 1));
  const spent = runs.reduce((n, x) => n + x.step, 0);
  t.true(spent < 4 * steps, `ASHA spent ${spent} steps, the grid ${4 * steps}`);

  const shown = await irnn(['sweeps', 'show', '1', '--db', db]);
  t.is(shown.code, 0, shown.stderr);
  t.regex(shown.stdout, /sweep 1: finished, 4 jobs \(.*\d pruned\)/);
  t.regex(shown.stdout, /scheduler: asha, grace 100 steps, reduction factor 2; \d+ training steps spent/);
  t.regex(shown.stdout, /\n\s+\d\s+pruned\s+\d\s+valid_mse=[\d.]+ test_mse=[\d.]+ @\d+\s+[\d.]+s\s+optimizer\.lr=[\de.-]+\s+pruned at step \d+: valid_mse [\d.]+ at step \d+ ranks \d of \d/);
  const json = JSON.parse((await irnn(['sweeps', 'show', '1', '--json', '--db', db])).stdout) as { jobs: Array<{ status: string; prune: { rung: number; reason: string } | null }> };
  for (const j of json.jobs) t.is(j.prune !== null, j.status === 'pruned');
});
