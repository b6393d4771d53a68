// The shared split scorer: loss summed over batches, carry requested from the second batch on,
// and the confusion matrix counted by hand on tiny batches, masked targets left out.
import test from 'ava';
import { accuracy, errorRate, scoreClasses, sumLoss } from '../src/tasks/eval.js';
import type { Batch, Predict } from '../src/tasks/task.js';

test('sumLoss adds loss and count and asks for carry only after the first batch', (t) => {
  const batch: Batch = { batchSize: 1, seqLen: 2, x: new Int32Array(2), y: new Int32Array(2) };
  const calls: Array<{ carry?: boolean; outputs?: boolean }> = [];
  const predict: Predict = (_b, opts) => {
    calls.push({ ...opts });
    return { out: new Float32Array(0), lossSum: 1.5, count: 2 };
  };
  t.deepEqual(sumLoss({ batches: [batch, batch, batch], predict, carry: true }), { lossSum: 4.5, count: 6 });
  t.deepEqual(calls.map((c) => c.carry), [false, true, true]);
  t.true(calls.every((c) => c.outputs === false));
  calls.length = 0;
  sumLoss({ batches: [batch, batch], predict });
  t.deepEqual(calls.map((c) => c.carry), [false, false]);
});

test('scoreClasses counts argmax guesses on real targets only, many-to-one and many-to-many', (t) => {
  // Many-to-one, 3 classes: outputs [B=2, 3]; guesses 2 and 0 for truths 2 and 1.
  const m21: Batch = { batchSize: 2, seqLen: 4, x: new Float32Array(8), y: Int32Array.from([2, 1]) };
  // Many-to-many with padding: y [B=1, T=3], the last step masked out; guesses 1, 1 (and 0 on padding).
  const m2m: Batch = { batchSize: 1, seqLen: 3, x: new Float32Array(3), y: Int32Array.from([1, 0, 0]), mask: Float32Array.from([1, 1, 0]) };
  const outs = new Map<Batch, Float32Array>([
    [m21, Float32Array.from([0.1, 0.2, 0.7, 0.5, 0.3, 0.2])],
    [m2m, Float32Array.from([0.2, 0.5, 0.3, 0.1, 0.8, 0.1, 0.9, 0.05, 0.05])],
  ]);
  const predict: Predict = (b) => ({ out: outs.get(b)!, lossSum: b.batchSize, count: 1 });
  const r = scoreClasses({ batches: [m21, m2m], predict, classes: 3 });
  t.deepEqual(r.confusion, [
    [0, 1, 0],
    [1, 1, 0],
    [0, 0, 1],
  ]);
  t.is(r.lossSum, 3);
  t.is(r.count, 2);
  t.is(accuracy(r.confusion), 2 / 4);
  t.is(errorRate(r.confusion), 2 / 4);
  t.is(errorRate([[2, 1], [0, 0]]), 1 / 3);
});
