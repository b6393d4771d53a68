import test from 'ava';
import { addingBatch, ADDING_BASELINE_MSE } from '../src/data/adding.js';
import { addingTask } from '../src/tasks/adding.js';
import { Rng } from '../src/util/rng.js';

test('each sequence has exactly two markers, one per half, and the target is their sum', (t) => {
  for (const T of [2, 3, 10, 151]) {
    const d = addingBatch({ n: 200, seqLen: T, rng: new Rng(7) });
    const half = Math.floor(T / 2);
    for (let b = 0; b < d.n; b++) {
      const marked: number[] = [];
      for (let s = 0; s < T; s++) {
        const v = d.x[(b * T + s) * 2]!;
        const m = d.x[(b * T + s) * 2 + 1]!;
        t.true(v >= 0 && v < 1);
        t.true(m === 0 || m === 1);
        if (m === 1) marked.push(s);
      }
      t.is(marked.length, 2);
      t.true(marked[0]! < half && marked[1]! >= half);
      const sum = d.x[(b * T + marked[0]!) * 2]! + d.x[(b * T + marked[1]!) * 2]!;
      t.is(d.y[b], Math.fround(sum));
    }
  }
});

test('values are uniform and always predicting 1 scores about 1/6', (t) => {
  const d = addingBatch({ n: 20000, seqLen: 10, rng: new Rng(1) });
  let mse = 0;
  for (const y of d.y) mse += (y - 1) ** 2;
  mse /= d.n;
  t.true(Math.abs(mse - ADDING_BASELINE_MSE) < 0.01, `mse ${mse}`);
  let mean = 0;
  for (let i = 0; i < d.x.length; i += 2) mean += d.x[i]!;
  mean /= d.x.length / 2;
  t.true(Math.abs(mean - 0.5) < 0.01);
});

test('validation and test sets come from their own seeds, training batches from the run seed', async (t) => {
  const cfg = { name: 'adding', seq_len: 8, test_size: 10, test_seed: 3, valid_size: 6, valid_seed: 4, eval_batch_size: 4 };
  /** Evaluates a split with a predictor that records the targets it is shown and predicts 1. */
  const shown = async (seed: number, split: 'valid' | 'test', c: Record<string, unknown> = cfg) => {
    const task = await addingTask(c, { seed, cacheDir: '/tmp' });
    const ys: number[] = [];
    const m = task.evaluate(split, (b) => {
      ys.push(...(b.y as Float32Array));
      let s = 0;
      for (const y of b.y as Float32Array) s += (y - 1) ** 2;
      return { out: new Float32Array(b.batchSize).fill(1), lossSum: s, count: b.batchSize };
    });
    // The metric is the mean over all sequences of the split (batches of 4, 4 and 2), not per batch.
    t.deepEqual(Object.keys(m), [`${split}_mse`]);
    t.true(Math.abs(m[`${split}_mse`]! - ys.reduce((a, y) => a + (y - 1) ** 2, 0) / ys.length) < 1e-12);
    return ys;
  };
  const test0 = await shown(0, 'test');
  t.deepEqual(await shown(1, 'test'), test0); // the run's seed does not change the test set
  t.is(test0.length, 10);
  const valid0 = await shown(0, 'valid');
  t.deepEqual(await shown(1, 'valid'), valid0);
  t.is(valid0.length, 6);
  t.notDeepEqual(valid0, test0.slice(0, 6)); // a different set, not a prefix of the test set
  // Each set follows its own seed only.
  t.notDeepEqual(await shown(0, 'valid', { ...cfg, valid_seed: 5 }), valid0);
  t.deepEqual(await shown(0, 'valid', { ...cfg, test_seed: 9 }), valid0);
  const task = await addingTask(cfg, { seed: 0, cacheDir: '/tmp' });
  t.deepEqual(task.mainMetric, { name: 'test_mse', goal: 'min', select: 'valid_mse' });
  const a = task.trainBatch(4, new Rng(0, 'x')).y;
  const b = task.trainBatch(4, new Rng(1, 'x')).y;
  t.notDeepEqual([...a], [...b]);
});
