import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { clipByGlobalNorm } from '../src/train/optimizers.js';
import { initBackend } from '../src/train/backend.js';

test.before(async () => {
  await initBackend('wasm');
});

const grads = () => ({ a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) }); // global norm 5

test('gradients above the clip are scaled to a global norm equal to the clip, direction kept', (t) => {
  const g = grads();
  const r = clipByGlobalNorm(g, 1);
  t.true(Math.abs(r.norm - 5) < 1e-6);
  const a = [...r.grads['a']!.dataSync()];
  const b = [...r.grads['b']!.dataSync()];
  t.true(Math.abs(a[0]! - 0.6) < 1e-6 && a[1] === 0);
  t.true(b[0] === 0 && Math.abs(b[1]! - 0.8) < 1e-6);
  tf.dispose([...Object.values(g), ...Object.values(r.grads)]);
});

test('gradients within the clip, or with clipping off, are passed through unchanged', (t) => {
  for (const clip of [10, 5, null]) {
    const g = grads();
    const r = clipByGlobalNorm(g, clip);
    t.is(r.grads['a'], g['a']);
    t.deepEqual([...r.grads['b']!.dataSync()], [0, 4]);
    tf.dispose(Object.values(g));
  }
});
