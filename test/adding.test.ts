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

test('the test set comes from its own seed, training batches from the run seed', async (t) => {
  const cfg = { name: 'adding', seq_len: 8, test_size: 10, test_seed: 3, eval_batch_size: 4 };
  const seen: number[][] = [];
  for (const seed of [0, 1]) {
    const task = await addingTask(cfg, { seed, cacheDir: '/tmp' });
    // A predictor that records the targets it is shown (through the batch) and predicts 1.
    const ys: number[] = [];
    const m = task.evaluate('test', (b) => {
      ys.push(...(b.y as Float32Array));
      let s = 0;
      for (const y of b.y as Float32Array) s += (y - 1) ** 2;
      return { out: new Float32Array(b.batchSize).fill(1), lossSum: s, count: b.batchSize };
    });
    // test_mse is the mean over all test sequences (three batches of 4, 4 and 2), not per batch.
    t.true(Math.abs(m['test_mse']! - ys.reduce((a, y) => a + (y - 1) ** 2, 0) / ys.length) < 1e-12);
    seen.push(ys);
  }
  t.deepEqual(seen[0], seen[1]);
  t.is(seen[0]!.length, 10);
  const task = await addingTask(cfg, { seed: 0, cacheDir: '/tmp' });
  const a = task.trainBatch(4, new Rng(0, 'x')).y;
  const b = task.trainBatch(4, new Rng(1, 'x')).y;
  t.notDeepEqual([...a], [...b]);
});
