import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { lossSum, meanLoss } from '../src/train/loss.js';
import { initBackend } from '../src/train/backend.js';
import type { Task } from '../src/tasks/task.js';

test.before(async () => {
  await initBackend('wasm');
});

const task = (o: Partial<Task>) => ({ objective: 'mse', outputSize: 2, mode: 'many-to-one', ...o }) as Task;

test('mse: the training loss is the mean squared error per output unit, as the summed form gives', (t) => {
  const out = tf.tensor2d([[1, 2], [3, 5]]);
  const y = tf.tensor2d([[0, 0], [3, 3]]);
  const mean = meanLoss(task({}), out, { x: out, y }).dataSync()[0]!;
  t.is(mean, (1 + 4 + 0 + 4) / 4);
  const { sum, count } = lossSum(task({}), out, { x: out, y });
  t.is(sum.dataSync()[0]! / count.dataSync()[0]!, mean);
  tf.dispose([out, y, sum, count]);
});

test('xent: the training loss is the masked mean negative log-likelihood', (t) => {
  const logits = tf.tensor3d([[[0, 0], [2, 0]], [[0, 1], [5, 5]]]); // [B=2, T=2, O=2]
  const y = tf.tensor2d([[0, 0], [1, 1]], undefined, 'int32');
  const mask = tf.tensor2d([[1, 1], [1, 0]]);
  const l = meanLoss(task({ objective: 'xent', mode: 'many-to-many' }), logits, { x: logits, y, mask }).dataSync()[0]!;
  const nll = (z: number[], k: number) => Math.log(Math.exp(z[0]!) + Math.exp(z[1]!)) - z[k]!;
  const want = (nll([0, 0], 0) + nll([2, 0], 0) + nll([0, 1], 1)) / 3;
  t.true(Math.abs(l - want) < 1e-6, `${l} vs ${want}`);
  tf.dispose([logits, y, mask]);
});
