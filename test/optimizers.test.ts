// The optimizer registry (each optimizer built with the config's hyper-parameters, each in its
// place), the learning-rate schedule, and the optimizer and clipping cases of optimizer-cases.ts
// on the native addon (optimizers-typescript.test.ts runs them on the TypeScript loops).
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { learningRate, OPTIMIZERS, setLearningRate } from '../src/train/optimizers.js';
import { optimizerCases } from './optimizer-cases.js';

optimizerCases('native');

test('the registry builds each optimizer with the config\'s hyper-parameters, each in its place', (t) => {
  const base = { lr: 0.01, clip: null, lr_half_life: null };
  const cfg = (o: tf.Optimizer) => o.getConfig() as Record<string, unknown>;
  const adam = OPTIMIZERS.adam({ ...base, name: 'adam', beta1: 0.8, beta2: 0.95, epsilon: 1e-6 });
  t.like(cfg(adam), { learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-6 });
  const rms = OPTIMIZERS.rmsprop({ ...base, name: 'rmsprop', decay: 0.7, momentum: 0.3, epsilon: 1e-5 });
  t.like(cfg(rms), { learningRate: 0.01, decay: 0.7, momentum: 0.3, epsilon: 1e-5 });
  const momentum = OPTIMIZERS.sgd({ ...base, name: 'sgd', momentum: 0.9 });
  t.like(cfg(momentum), { learningRate: 0.01, momentum: 0.9 });
  t.like(cfg(OPTIMIZERS.sgd({ ...base, name: 'sgd', momentum: 0 })), { learningRate: 0.01 });
  for (const o of [adam, rms, momentum]) o.dispose();
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

