import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { SequenceModel, reverseTime, type ModelSpec } from '../src/models/sequence.js';
import { initBackend } from '../src/train/backend.js';
import { GATES, type CellKind } from '../src/models/recurrence.js';
import { CELLS } from '../src/kernels/contract.js';

test.before(async () => {
  await initBackend('wasm');
});

const spec = (o: Partial<ModelSpec> = {}): ModelSpec => ({
  cell: 'rnn_relu', hidden: 5, layers: 1, bidirectional: false, init: 'identity', identityScale: 1, inputStd: 0.3,
  recurrentStd: 0.3, forgetBias: 1, engine: 'unrolled', input: { kind: 'dense', size: 2 }, outputSize: 3, mode: 'many-to-one', seed: 1, ...o,
});

test('the IRNN recurrent matrix is exactly the scaled identity, input weights are small Gaussians, biases zero', (t) => {
  for (const scale of [1, 0.01]) {
    const m = new SequenceModel(spec({ hidden: 7, identityScale: scale, inputStd: 0.001 }));
    const p = m.layers[0]![0]!;
    const W = p.W.arraySync() as number[][];
    for (let i = 0; i < 7; i++) for (let j = 0; j < 7; j++) t.is(W[i]![j], i === j ? Math.fround(scale) : 0);
    t.true((p.b.dataSync() as Float32Array).every((v) => v === 0));
    const U = p.U.dataSync() as Float32Array;
    const std = Math.sqrt(U.reduce((s, v) => s + v * v, 0) / U.length);
    t.true(std > 0 && std < 0.003);
    m.dispose();
  }
});

test('the LSTM forget-gate bias starts at forget_bias and the others at 0', (t) => {
  const m = new SequenceModel(spec({ cell: 'lstm', init: 'gaussian', hidden: 3, forgetBias: 4 }));
  t.deepEqual([...m.layers[0]![0]!.b.dataSync()], [0, 0, 0, 4, 4, 4, 0, 0, 0, 0, 0, 0]);
  m.dispose();
});

// Central finite differences through the whole model (input projection, recurrence, readout) with
// both engines. tfjs computes in float32, so the loss is summed in float64 from the outputs and
// each checked entry must meet a relative-error criterion that a zero or sign-flipped gradient
// fails: |g - fd| <= RTOL * max(|g|, |fd|) + ATOL, with ATOL above the float32 noise of the
// difference quotient. Every parameter must have entries whose |fd| is well above ATOL, so that a
// zero gradient can never pass as "too small to check". (The kernels alone are checked in float64,
// to 1e-6 relative, in kernels-native.test.ts.)
const RTOL = 2e-2;
const ATOL = 2e-4;

/** Whether an analytic gradient entry agrees with its finite difference. */
const agrees = (g: number, fd: number) => Math.abs(g - fd) <= RTOL * Math.max(Math.abs(g), Math.abs(fd)) + ATOL;

/** Entries to check: the three largest analytic gradients and the first, middle and last. */
function entries(g: ArrayLike<number>): number[] {
  const byMagnitude = Array.from(g, (v, i) => [Math.abs(v), i] as const).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([, i]) => i);
  return [...new Set([...byMagnitude, 0, Math.floor(g.length / 2), g.length - 1])];
}

for (const engine of ['unrolled', 'fused'] as const) {
  for (const cell of ['rnn_relu', 'rnn_tanh', 'lstm', 'gru'] as CellKind[]) {
    for (const bidirectional of [false, true]) {
      test(`${cell}${bidirectional ? ' bidirectional' : ''}, ${engine}: gradients match finite differences (relative error)`, (t) => {
        const m = new SequenceModel(spec({ cell, engine, init: cell === 'rnn_relu' ? 'identity' : 'gaussian', layers: 2, bidirectional, hidden: 4, identityScale: 0.9, inputStd: 0.5, recurrentStd: 0.5 }));
        const x = tf.randomUniform([2, 5, 2], -1, 1, 'float32', 3);
        const target = tf.randomUniform([2, 3], -1, 1, 'float32', 4).dataSync();
        const loss64 = (): number => {
          const out = tf.tidy(() => m.forward(x).out.dataSync());
          let sum = 0;
          for (let i = 0; i < out.length; i++) sum += (out[i]! - target[i]!) ** 2;
          return sum;
        };
        const tgt = tf.tensor(target, [2, 3]);
        const { grads, value } = tf.variableGrads(() => tf.tidy(() => tf.sum(tf.square(tf.sub(m.forward(x).out, tgt))) as tf.Scalar), m.variables);
        value.dispose();
        const eps = cell === 'rnn_relu' ? 2e-3 : 1e-2; // smaller for ReLU: a step must not cross a kink
        for (const v of m.variables) {
          const g = grads[v.name]!.dataSync();
          const data = v.dataSync().slice();
          const checked: Array<{ i: number; fd: number }> = [];
          for (const i of entries(g)) {
            const orig = data[i]!;
            const at = (value: number) => {
              data[i] = value;
              v.assign(tf.tensor(data, v.shape));
              return loss64();
            };
            const fd = (at(orig + eps) - at(orig - eps)) / (2 * eps);
            at(orig);
            checked.push({ i, fd });
            t.true(agrees(g[i]!, fd), `${v.name}[${i}]: analytic ${g[i]} vs finite difference ${fd}`);
          }
          // The check can fail: a zero or a sign-flipped gradient of this parameter is refused.
          t.true(checked.some(({ fd }) => Math.abs(fd) > 20 * ATOL), `${v.name}: no checked entry has |fd| well above ${ATOL}`);
          t.false(checked.every(({ fd }) => agrees(0, fd)), `${v.name}: a zero gradient would pass`);
          t.false(checked.every(({ i, fd }) => agrees(-g[i]!, fd)), `${v.name}: a sign-flipped gradient would pass`);
        }
        tf.dispose([x, tgt, ...Object.values(grads)]);
        m.dispose();
      });
    }
  }
}

test('the backward direction of a bidirectional layer is a forward layer run on the reversed sequence', (t) => {
  const bi = new SequenceModel(spec({ cell: 'gru', init: 'gaussian', bidirectional: true, mode: 'many-to-many', hidden: 4 }));
  const uni = new SequenceModel(spec({ cell: 'gru', init: 'gaussian', mode: 'many-to-many', hidden: 4 }));
  // Give the unidirectional model the backward direction's weights and read its states through an identity readout.
  const back = bi.layers[0]![1]!;
  const fwd = uni.layers[0]![0]!;
  fwd.U.assign(back.U);
  fwd.b.assign(back.b);
  fwd.W.assign(back.W);
  fwd.bh!.assign(back.bh!);
  const eye = tf.eye(4).slice([0, 0], [4, 3]); // [H, O]: output k = state unit k
  uni.V.assign(eye);
  // Readout of the bidirectional model: only the backward half, identity on 3 of 4 units.
  bi.V.assign(tf.concat([tf.zeros([4, 3]), eye], 0));
  const x = tf.randomUniform([3, 6, 2], -1, 1, 'float32', 9);
  const lengths = new Int32Array([6, 4, 2]);
  const outBi = bi.forward(x, { lengths }).out.arraySync() as number[][][];
  for (let b = 0; b < 3; b++) {
    const len = lengths[b]!;
    // Forward model on the real part of sequence b, reversed.
    const xr = tf.reverse(x.slice([b, 0, 0], [1, len, 2]), 1);
    const outUni = uni.forward(xr).out.arraySync() as number[][][];
    for (let s = 0; s < len; s++) {
      for (let k = 0; k < 3; k++) t.true(Math.abs(outBi[b]![s]![k]! - outUni[0]![len - 1 - s]![k]!) < 1e-5, `b${b} t${s} k${k}`);
    }
  }
  tf.dispose([eye, x]);
  bi.dispose();
  uni.dispose();
});

test('reverseTime keeps padding in place and reverses each sequence within its length', (t) => {
  const x = tf.tensor3d([0, 10, 1, 11, 2, 12, 3, 13], [4, 2, 1]); // [T=4, B=2, F=1]
  const r = reverseTime(x, new Int32Array([4, 2])).arraySync() as number[][][];
  t.deepEqual(r.map((row) => row.map((v) => v[0])), [[3, 11], [2, 10], [1, 12], [0, 13]]);
  x.dispose();
});

test('the config accepts exactly the cell types the recurrence implements', (t) => {
  t.deepEqual([...CELLS].sort(), Object.keys(GATES).sort());
});
