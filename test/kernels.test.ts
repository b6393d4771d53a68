// The fused engine against the unrolled tfjs graph (the reference): forward states and every
// gradient (input and projection weights included) on random small cases, reversed sequences,
// a 2-layer bidirectional stack, and no tensor leaks. Kernel-level checks: kernels-native.test.ts.
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { GATES, recurrence, resolveEngine, type CellKind, type RecurrenceInput } from '../src/models/recurrence.js';
import { timeStep } from '../src/kernels/timestep.js';
import { initBackend } from '../src/train/backend.js';
import { Rng } from '../src/util/rng.js';

const CELLS: CellKind[] = ['rnn_relu', 'rnn_tanh', 'lstm', 'gru'];
type Engine = 'fused' | 'unrolled';

test.before(async () => {
  await initBackend('wasm');
});

const randn = (rng: Rng, shape: number[], std: number): tf.Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.fillNormal(new Float32Array(n), 0, std), shape);
};

/** ||a - b|| / ||b||, the whole tensor at once. */
const relErr = (a: tf.Tensor, b: tf.Tensor): number =>
  tf.tidy(() => tf.norm(tf.sub(a, b)).dataSync()[0]! / Math.max(tf.norm(b).dataSync()[0]!, 1e-30));

/** Named inputs of one random case; `names` lists the differentiated ones in order. */
function randomCase(cell: CellKind, o: { T: number; B: number; H: number; I: number; seed: number }) {
  const rng = new Rng(o.seed, cell);
  const G = GATES[cell];
  const v: Record<string, tf.Tensor> = {
    W: randn(rng, [o.H, G * o.H], 0.5),
    h0: randn(rng, [o.B, o.H], 0.5),
    x: randn(rng, [o.T, o.B, o.I], 1),
    U: randn(rng, [o.I, G * o.H], 0.5),
    b: randn(rng, [G * o.H], 0.3),
  };
  if (cell === 'gru') v.bh = randn(rng, [G * o.H], 0.3);
  if (cell === 'lstm') v.c0 = randn(rng, [o.B, o.H], 0.5);
  const weights = randn(rng, [o.T, o.B, o.H], 1); // the loss is sum(states * weights)
  return { names: Object.keys(v), values: Object.values(v), weights };
}

function toInput(cell: CellKind, engine: Engine, names: string[], xs: tf.Tensor[], reverse: boolean): RecurrenceInput {
  const v = Object.fromEntries(names.map((n, i) => [n, xs[i]!])) as Record<string, tf.Tensor>;
  const rev = (t: tf.Tensor) => (reverse ? tf.reverse(t, 0) : t) as tf.Tensor3D;
  return {
    cell, engine,
    W: v.W as tf.Tensor2D, h0: v.h0 as tf.Tensor2D, bh: v.bh as tf.Tensor1D | undefined, c0: v.c0 as tf.Tensor2D | undefined,
    input: { x: rev(v.x!), U: v.U as tf.Tensor2D, b: v.b as tf.Tensor1D },
  };
}

/** Loss value, states and gradients w.r.t. every named input, for one engine. */
function run(cell: CellKind, engine: Engine, c: ReturnType<typeof randomCase>, reverse: boolean) {
  const loss = (...xs: tf.Tensor[]) => tf.sum(tf.mul(recurrence(toInput(cell, engine, c.names, xs, reverse)).states, c.weights));
  const { value, grads } = tf.valueAndGrads(loss)(c.values);
  const states = recurrence(toInput(cell, engine, c.names, c.values, reverse)).states;
  return { out: [value, states, ...grads], labels: ['loss', 'states', ...c.names.map((n) => `d${n}`)] };
}

for (const cell of CELLS) {
  test(`${cell}: fused states and gradients match the unrolled graph`, (t) => {
    for (const [i, shape] of [{ T: 6, B: 3, H: 5, I: 3 }, { T: 9, B: 2, H: 18, I: 18 }].entries()) {
      for (const reverse of [false, true]) {
        const c = randomCase(cell, { ...shape, seed: 7 + i });
        const ref = run(cell, 'unrolled', c, reverse);
        const got = run(cell, 'fused', c, reverse);
        t.is(got.out.length, 2 + c.names.length);
        ref.out.forEach((r, k) => {
          const e = relErr(got.out[k]!, r);
          t.true(e < 1e-4, `${ref.labels[k]} H=${shape.H} reverse=${reverse}: relative error ${e}`);
        });
        tf.dispose([...c.values, c.weights, ...ref.out, ...got.out]);
      }
    }
  });
}

// Two layers, both directions, as a bidirectional model stacks them: layer 2 reads the
// concatenated states, so its input gradient flows back through layer 1's kernels.
function stackLoss(cell: CellKind, engine: Engine, x: tf.Tensor3D, params: tf.Tensor[], weights: tf.Tensor): tf.Scalar {
  let seq = x;
  let k = 0;
  for (let layer = 0; layer < 2; layer++) {
    const outs = [0, 1].map((dir) => {
      const [U, b, W, h0] = params.slice(k, k + 4) as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D];
      const bh = cell === 'gru' ? (params[k + 4] as tf.Tensor1D) : undefined;
      k += cell === 'gru' ? 5 : 4;
      const src = dir ? (tf.reverse(seq, 0) as tf.Tensor3D) : seq;
      const c0 = cell === 'lstm' ? tf.zerosLike(h0) : undefined;
      const states = recurrence({ cell, engine, W, h0, bh, c0, input: { x: src, U, b } }).states;
      return dir ? tf.reverse(states, 0) : states;
    });
    seq = tf.concat(outs, 2) as tf.Tensor3D;
  }
  return tf.sum(tf.mul(seq, weights));
}

for (const cell of CELLS) {
  test(`${cell}: a 2-layer bidirectional stack has the same loss and parameter gradients with both engines`, (t) => {
    const [T, B, I, H, G] = [5, 2, 3, 4, GATES[cell]];
    const rng = new Rng(3, `stack-${cell}`);
    const x = randn(rng, [T, B, I], 1) as tf.Tensor3D;
    const params: tf.Tensor[] = [];
    for (const inSize of [I, I, 2 * H, 2 * H]) {
      params.push(randn(rng, [inSize, G * H], 0.4), randn(rng, [G * H], 0.2), randn(rng, [H, G * H], 0.4), randn(rng, [B, H], 0.3));
      if (cell === 'gru') params.push(randn(rng, [G * H], 0.2));
    }
    const weights = randn(rng, [T, B, 2 * H], 1);
    const [ref, got] = (['unrolled', 'fused'] as const).map((engine) =>
      tf.valueAndGrads((...ps: tf.Tensor[]) => stackLoss(cell, engine, x, ps, weights))(params));
    t.true(relErr(got!.value, ref!.value) < 1e-4);
    ref!.grads.forEach((g, i) => t.true(relErr(got!.grads[i]!, g) < 1e-4, `parameter ${i}: ${relErr(got!.grads[i]!, g)}`));
    tf.dispose([x, weights, ...params, ref!.value, got!.value, ...ref!.grads, ...got!.grads]);
  });
}

test('a forward and backward pass through the fused engine leaves no tensor behind', (t) => {
  for (const cell of CELLS) {
    const c = randomCase(cell, { T: 4, B: 2, H: 3, I: 2, seed: 1 });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const r = tf.valueAndGrads((...xs: tf.Tensor[]) => tf.sum(tf.mul(recurrence(toInput(cell, 'fused', c.names, xs, false)).states, c.weights)))(c.values);
      r.grads.forEach((g) => g.dataSync());
    });
    const out = recurrence(toInput(cell, 'fused', c.names, c.values, false));
    tf.dispose([out.states, ...(out.cT ? [out.cT] : [])]);
    t.is(tf.memory().numTensors, before, cell);
    tf.dispose([...c.values, c.weights]);
  }
});

test('the LSTM final cell state equals the last step of the unrolled cell states', (t) => {
  const c = randomCase('lstm', { T: 5, B: 2, H: 4, I: 3, seed: 2 });
  const [a, b] = (['fused', 'unrolled'] as const).map((e) => recurrence(toInput('lstm', e, c.names, c.values, false)));
  t.true(relErr(a!.cT!, b!.cT!) < 1e-5);
  tf.dispose([a!.states, a!.cT!, b!.states, b!.cT!, ...c.values, c.weights]);
});

test('auto resolves to fused', (t) => {
  t.is(resolveEngine('auto'), 'fused');
  t.is(resolveEngine('unrolled'), 'unrolled');
});

test('timeStep picks one step of a sequence, and its gradient is that step only', (t) => {
  const x = tf.tensor3d([...Array(2 * 3 * 2).keys()], [2, 3, 2]); // [T=2, B=3, F=2]
  t.deepEqual(timeStep(x, 1).arraySync(), [[6, 7], [8, 9], [10, 11]]);
  t.deepEqual(timeStep(x, 0).arraySync(), [[0, 1], [2, 3], [4, 5]]);
  const w = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(timeStep(v as tf.Tensor3D, 1), w)))(x);
  t.deepEqual(g.arraySync(), [[[0, 0], [0, 0], [0, 0]], [[1, 2], [3, 4], [5, 6]]]);
  t.throws(() => timeStep(x, 2), { message: /outside 0..1/ });
  tf.dispose([x, w, g]);
});
