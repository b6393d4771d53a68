// End to end through config, trainer and store on digits pooled to 7x7 (49 steps): a short run on
// full MNIST (the default source) learns well above the majority-class baseline and records test
// accuracy, the sequence length, the pooling and the split; the permuted task finishes with each
// of the paper's models on the small package's digits.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeConfig } from '../src/config/index.js';
import { Db } from '../src/store/db.js';
import { getRun } from '../src/store/runs.js';
import { train } from '../src/train/run.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'mnist-task-'));
const quick = ['task.downsample=7', 'task.max_valid=200', 'train.batch_size=32'];

test.serial('pixel_mnist at 7x7: a short GRU run beats the baseline and records test_acc', async (t) => {
  const db = await Db.open(':memory:');
  const resolved = composeConfig({
    overrides: ['task=pixel_mnist', ...quick, 'task.max_test=500', 'model=gru', 'model.hidden=32',
      'optimizer=adam', 'optimizer.lr=0.01', 'train.steps=150', 'train.eval_every=150'],
  });
  const r = await train({ resolved, db, cacheDir });
  t.is(r.status, 'finished');
  const run = (await getRun(db, r.runId))!;
  t.is(run.taskInfo?.['seq_len'], 49);
  t.is(run.taskInfo?.['downsample'], 7);
  t.is(run.taskInfo?.['source'], 'full');
  t.is(run.taskInfo?.['test_size'], 500);
  t.is(run.taskInfo?.['train_size'], 60000 - 1000); // the default validation split comes out of training
  const acc = run.metrics['test_acc']!;
  t.is(r.metrics['test_acc'], acc);
  // Always answering the commonest class scores about 0.1; 150 steps of a small GRU get far beyond.
  const baseline = (run.taskInfo?.['baseline'] as { value: number }).value; // stored with the run
  t.true(baseline < 0.15, `baseline ${baseline}`);
  t.log(`test_acc ${acc} after 150 steps (baseline ${baseline})`);
  t.true(acc > 0.3, `test_acc ${acc}`);
  const confusion = run.details?.['test_confusion'] as number[][];
  t.is(confusion.flat().reduce((a, b) => a + b, 0), 500);
  t.is(confusion.reduce((s, row, c) => s + row[c]!, 0) / 500, acc);
  await db.close();
});

test.serial('permuted_mnist at 7x7 runs with each of the four models', async (t) => {
  const db = await Db.open(':memory:');
  for (const model of ['irnn', 'rnn_tanh', 'rnn_relu', 'lstm']) {
    const resolved = composeConfig({
      overrides: ['task=permuted_mnist', 'task.source=small', ...quick, 'task.max_test=100', `model=${model}`, 'train.steps=5', 'train.eval_every=5'],
    });
    const r = await train({ resolved, db, cacheDir });
    t.is(r.status, 'finished', model);
    const run = (await getRun(db, r.runId))!;
    t.is(run.taskInfo?.['permutation_seed'], 1234);
    t.is(run.taskInfo?.['seq_len'], 49);
    const acc = run.metrics['test_acc']!;
    t.true(acc >= 0 && acc <= 1, `${model} test_acc ${acc}`);
    t.true(Number.isFinite(run.metrics['test_loss']!), model);
  }
  await db.close();
});
