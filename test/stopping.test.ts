// When a run ends early: the stop rules (target, patience, plateau) on made-up validation
// histories, and explosions: a run whose loss becomes huge while finite ends `diverged` at that
// step with its cause, as a NaN loss does.
import test from 'ava';
import { composeConfig, configHash } from '../src/config/index.js';
import { Db } from '../src/store/db.js';
import { getRun, metricHistory } from '../src/store/runs.js';
import { train } from '../src/train/run.js';
import { earlyStop, exploded, stopSettings, type SelectHistory } from '../src/train/stopping.js';

const acc = { select: 'valid_acc', goal: 'max' as const };
const ppl = { select: 'valid_ppl', goal: 'min' as const };
const off = stopSettings({ target: null, patience: null, plateau: null, plateau_min_improvement: 0.01, diverge_factor: null });

test('patience: stops once the best validation value is that many steps old, not before', (t) => {
  const s = { ...off, patience: 300 };
  const h: SelectHistory = [[0, 0.1], [100, 0.5], [200, 0.6], [300, 0.59], [400, 0.6]];
  t.is(earlyStop(h, acc, s, 400), null, 'a tie is no improvement, but the best is only 200 steps old');
  h.push([500, 0.55]);
  t.regex(earlyStop(h, acc, s, 500)!, /^patience: no better valid_acc for 300 steps \(best 0\.6 at step 200\)/);
  t.is(earlyStop([...h.slice(0, 5), [500, 0.61]], acc, s, 500), null, 'a new best resets it');
});

test('plateau: compares the best of the last fifth with the best before it, for either goal', (t) => {
  const s = { ...off, plateau: 0.2, plateauMinImprovement: 0.01 };
  // perplexity falling by 5% between step 800 and 1000: goes on
  t.is(earlyStop([[0, 1000], [400, 300], [800, 200], [1000, 190]], ppl, s, 1000), null);
  // by 0.5%: stops
  t.regex(earlyStop([[0, 1000], [400, 300], [800, 200], [1000, 199]], ppl, s, 1000)!, /^plateau: valid_ppl improved by 0\.50% over the last 20% of the steps \(200 by step 800, 199 by step 1000\)/);
  // accuracy rising by 0.5%: stops
  t.regex(earlyStop([[0, 0.1], [400, 0.5], [800, 0.8], [1000, 0.804]], acc, s, 1000)!, /^plateau: valid_acc improved by 0\.50%/);
  // only step 0 before the window: no judgement yet
  t.is(earlyStop([[0, 1000], [100, 1000]], ppl, s, 100), null);
});

test('target: the validation value reaching it stops the run; the rules are off by default', (t) => {
  t.regex(earlyStop([[0, 0.2], [10, 0.96]], acc, { ...off, target: 0.95 }, 10)!, /^target: valid_acc 0\.96 reached 0\.95 at step 10/);
  t.is(earlyStop([[0, 0.2], [10, 0.94]], acc, { ...off, target: 0.95 }, 10), null);
  const defaults = stopSettings(composeConfig({ overrides: [] }).config.train);
  t.deepEqual(defaults, { target: null, patience: null, plateau: null, plateauMinImprovement: 0.01, divergeFactor: 1e6 });
  t.is(earlyStop([[0, 1], [10, 1], [20, 1]], ppl, defaults, 20), null);
});

test('an explosion is a finite value more than the factor times the first, by magnitude', (t) => {
  t.is(exploded(9e5, 1, 1e6, 'x'), null);
  t.regex(exploded(2e6, 1, 1e6, 'the training loss')!, /^the training loss 2\.00e\+6 is more than 1e\+6 times its first value 1\.00/);
  t.is(exploded(2e6, 1, null, 'x'), null, 'off');
  t.is(exploded(Infinity, 1, 1e6, 'x'), null, 'NaN and Inf are caught as such elsewhere');
});

test('keys added later (stop rules, data sources) at their defaults leave a run\'s hash as it was before they existed', (t) => {
  const { config } = composeConfig({ overrides: ['task=speech'] });
  const before = structuredClone(config) as unknown as { train: Record<string, unknown> };
  for (const k of ['patience', 'plateau', 'plateau_min_improvement', 'diverge_factor']) delete before.train[k];
  for (const k of ['source', 'path', 'timit_labels']) delete (before as unknown as { task: Record<string, unknown> }).task[k];
  t.is(configHash(config), configHash(before as never));
  t.not(configHash(composeConfig({ overrides: ['task=speech', 'train.patience=1000'] }).config), configHash(config));
  t.not(configHash(composeConfig({ overrides: ['task=speech', 'train.diverge_factor=null'] }).config), configHash(config));
  t.not(configHash(composeConfig({ overrides: ['task=speech', 'task.source=timit', 'task.path=/data/timit'] }).config), configHash(config));
});

const EXPLODES = ['task.seq_len=8', 'task.test_size=100', 'model.hidden=16', 'optimizer=sgd', 'optimizer.lr=0.3', 'optimizer.clip=null', 'train.steps=300', 'train.eval_every=50'];

test('a run whose loss explodes to a huge finite value ends diverged at that step, with its cause', async (t) => {
  const db = await Db.open(':memory:');
  const r = await train({ db, resolved: composeConfig({ overrides: EXPLODES }) });
  t.is(r.status, 'diverged');
  const run = (await getRun(db, r.runId))!;
  t.is(run.status, 'diverged');
  t.is(run.divergedStep, r.step);
  t.true(r.step < 300);
  t.regex(run.error!, new RegExp(`^the training loss \\S+ is more than 1e\\+6 times its first value \\S+ at step ${r.step}$`));
  const last = (await metricHistory(db, r.runId)).filter((m) => m.name === 'train_loss').pop()!;
  t.is(last.step, r.step);
  t.true(Number.isFinite(last.value) && last.value! > 1e6, `the loss that ended it is finite and huge (${last.value})`);
  // Without the rule the same run goes on past that step.
  const free = await train({ db, resolved: composeConfig({ overrides: [...EXPLODES, 'train.diverge_factor=null'] }) });
  t.true(free.step > r.step, `${free.status} at ${free.step}`);
  await db.close();
});

test('patience ends a run finished, with the reason stored', async (t) => {
  const db = await Db.open(':memory:');
  // lr 0: the validation metric never moves, so the best stays at step 0
  const r = await train({ db, resolved: composeConfig({ overrides: ['task.seq_len=8', 'task.test_size=100', 'model.hidden=8', 'optimizer.lr=0', 'train.steps=1000', 'train.eval_every=50', 'train.patience=150'] }) });
  t.is(r.status, 'finished');
  t.is(r.step, 150);
  const run = (await getRun(db, r.runId))!;
  t.regex(run.stopReason!, /^patience: no better valid_mse for 150 steps \(best \S+ at step 0\)/);
  await db.close();
});
