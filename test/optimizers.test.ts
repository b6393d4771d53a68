import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { clipByGlobalNorm, learningRate, OPTIMIZERS, setLearningRate } from '../src/train/optimizers.js';
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

test('lr_half_life halves the rate every that many steps, and the update follows the rate set', (t) => {
  const cfg = { name: 'sgd', lr: 0.8, clip: null, lr_half_life: 100 };
  t.is(learningRate(cfg, 0), 0.8);
  t.true(Math.abs(learningRate(cfg, 100) - 0.4) < 1e-15);
  t.true(Math.abs(learningRate(cfg, 250) - 0.8 * 2 ** -2.5) < 1e-15);
  t.is(learningRate({ ...cfg, lr_half_life: null }, 1e6), 0.8);
  // One plain SGD step and one Adam step (whose first step moves each weight by lr) at a rate set
  // after construction: the weight moves by exactly that rate.
  for (const [name, make] of [['sgd', () => OPTIMIZERS.sgd({ ...cfg })], ['adam', () => OPTIMIZERS.adam({ ...cfg, name: 'adam' })]] as const) {
    const opt = make();
    const w = tf.variable(tf.scalar(1), true, `w-${name}`);
    setLearningRate(opt, 0.25);
    opt.applyGradients({ [w.name]: tf.scalar(1) } as never);
    t.true(Math.abs(w.dataSync()[0]! - 0.75) < 1e-5, `${name}: ${w.dataSync()[0]}`);
    opt.dispose();
    w.dispose();
  }
});
