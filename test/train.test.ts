import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeConfig } from '../src/config/index.js';
import { Db } from '../src/store/db.js';
import { getRun, metricHistory } from '../src/store/runs.js';
import { createTrainer } from '../src/train/trainer.js';
import { train } from '../src/train/run.js';

const tmpDb = () => Db.open(join(mkdtempSync(join(tmpdir(), 'irnn-train-')), 'r.sqlite'));
const small = ['task.seq_len=8', 'task.test_size=100', 'model.hidden=16'];

test.serial('a training step leaks no tensors, for every cell and both engines', async (t) => {
  for (const model of ['irnn', 'rnn_tanh', 'lstm', 'gru']) {
    for (const engine of ['fused', 'unrolled']) {
      const { config } = composeConfig({ overrides: [...small, `model=${model}`, `model.engine=${engine}`, 'model.bidirectional=true', 'model.layers=2'] });
      const trainer = await createTrainer({ cfg: config });
      trainer.step(); // optimizer slots are created on the first step
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) trainer.step();
      trainer.evaluate();
      t.is(tf.memory().numTensors, before, `${model} ${engine}`);
      trainer.dispose();
    }
  }
});

test.serial('the same config and seed give identical metrics; another seed does not', async (t) => {
  const series = [];
  for (const seed of [0, 0, 1]) {
    const db = await tmpDb();
    const r = await train({ resolved: composeConfig({ overrides: [...small, `seed=${seed}`, 'train.steps=30', 'train.eval_every=10'] }), db });
    series.push((await metricHistory(db, r.runId)).filter((m) => m.name === 'test_mse').map((m) => m.value));
    await db.close();
  }
  t.is(series[0]!.length, 4);
  t.deepEqual(series[0], series[1]);
  t.notDeepEqual(series[0], series[2]);
});

test.serial('IRNN learns the adding problem at T = 10 well below the 1/6 baseline', async (t) => {
  const db = await tmpDb();
  const r = await train({
    resolved: composeConfig({ overrides: ['task.seq_len=10', 'task.test_size=500', 'model.hidden=32', 'train.steps=1500', 'train.eval_every=500', 'optimizer.lr=0.003'] }),
    db,
  });
  t.is(r.status, 'finished');
  t.true(r.metrics['test_mse']! < 0.167 / 4, `test_mse ${r.metrics['test_mse']}`);
  // The CPU time the run took is logged at every evaluation, growing with the steps trained.
  const cpu = (await metricHistory(db, r.runId)).filter((m) => m.name === 'cpu_seconds').map((m) => m.value!);
  t.is(cpu.length, 4);
  t.true(cpu.every((c, i) => c > 0 && (i === 0 || c > cpu[i - 1]!)), cpu.join(' '));
  await db.close();
});

test.serial('a NaN loss ends the run as diverged at the step where it happened', async (t) => {
  const db = await tmpDb();
  const r = await train({
    resolved: composeConfig({ overrides: [...small, 'optimizer=sgd', 'optimizer.lr=1e30', 'optimizer.clip=null', 'train.steps=50'] }),
    db,
  });
  t.is(r.status, 'diverged');
  const run = (await getRun(db, r.runId))!;
  t.is(run.status, 'diverged');
  t.is(run.divergedStep, r.step);
  t.true(r.step < 50);
  t.regex(run.error!, /loss became/);
  await db.close();
});

test.serial('an abort marks the run interrupted and keeps what was logged', async (t) => {
  const db = await tmpDb();
  const controller = new AbortController();
  const r = await train({
    resolved: composeConfig({ overrides: [...small, 'train.steps=100000', 'train.eval_every=5'] }),
    db,
    signal: controller.signal,
    events: { onEval: (e) => e.step >= 10 && controller.abort() },
  });
  t.is(r.status, 'interrupted');
  const run = (await getRun(db, r.runId))!;
  t.is(run.status, 'interrupted');
  t.truthy(run.endedAt);
  t.true((await metricHistory(db, r.runId)).some((m) => m.step === 10 && m.name === 'test_mse'));
  await db.close();
});

test.serial('a task error is thrown before the run exists; an error mid-run marks it failed and rethrows', async (t) => {
  const db = await tmpDb();
  const resolved = composeConfig({ overrides: small });
  (resolved.config.task as Record<string, unknown>)['seq_len'] = 1; // bypasses the config checks on purpose
  await t.throwsAsync(train({ resolved, db }), { message: /seq_len/ });
  t.deepEqual(await db.all('SELECT status FROM runs'), [], 'nothing stored');
  const boom = composeConfig({ overrides: [...small, 'train.steps=20'] });
  await t.throwsAsync(train({ resolved: boom, db, events: { onStep: (e) => { if (e.step === 5) throw new Error('boom at 5'); } } }), { message: 'boom at 5' });
  const runs = await db.all<{ status: string; error: string; step: number }>('SELECT status, error, step FROM runs');
  t.deepEqual(runs, [{ status: 'failed', error: 'boom at 5', step: 5 }]);
  await db.close();
});
