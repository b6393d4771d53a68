// The fused softmax cross-entropy readout: the float64 TypeScript kernel against central finite
// differences, the native kernel against the TypeScript one (sizes off the SIMD strip grid, one
// and two threads), the tfjs op against the plain tfjs graph (logSoftmax of the product), a
// language model's loss and every variable's gradient against its unrolled graph, and the
// addon's argument checks.
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import type { Floats } from '../src/kernels/kernel.js';
import { nativeAddon, nativeLoadError } from '../src/kernels/native.js';
import { nativeReadout, softmaxXentSum } from '../src/kernels/readout.js';
import type { ReadoutArgs, ReadoutKernel } from '../src/kernels/readout-kernel.js';
import { softmaxXent, typescriptReadout } from '../src/kernels/readout-typescript.js';
import { SequenceModel, type ModelSpec } from '../src/models/sequence.js';
import { initBackend } from '../src/train/backend.js';
import { Rng } from '../src/util/rng.js';

test.before(async () => {
  await initBackend('wasm');
});

type Ctor<F extends Floats> = new (n: number) => F;
interface Dims { N: number; F: number; V: number }

function inputs<F extends Floats>(d: Dims, Arr: Ctor<F>, seed: number, weighted = false): ReadoutArgs<F> {
  const rng = new Rng(seed, 'readout');
  const fill = (n: number, std: number) => {
    const a = new Arr(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
    return a;
  };
  const y = new Int32Array(d.N);
  for (let i = 0; i < d.N; i++) y[i] = rng.int(d.V);
  const weight = weighted ? new Arr(d.N) : undefined;
  if (weight) for (let i = 0; i < d.N; i++) weight[i] = i % 3 === 0 ? 0 : 1; // a mask with holes
  return { ...d, X: fill(d.N * d.F, 1), W: fill(d.F * d.V, 0.5), c: fill(d.V, 0.3), y, weight };
}

function withGrads<F extends Floats>(a: ReadoutArgs<F>, Arr: Ctor<F>): ReadoutArgs<F> & { grads: { dX: F; dW: F; dc: F } } {
  return { ...a, grads: { dX: new Arr(a.N * a.F), dW: new Arr(a.F * a.V), dc: new Arr(a.V) } };
}

/** ||a - b|| / ||b|| over whole arrays: a zero or sign-flipped gradient scores 1 or 2. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1e-300;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

for (const weighted of [false, true]) {
  test(`float64 gradients match central finite differences${weighted ? ' (rows weighted by a mask)' : ''}`, (t) => {
    const a = withGrads(inputs({ N: 5, F: 4, V: 7 }, Float64Array, 3, weighted), Float64Array);
    const loss = softmaxXent(a);
    t.true(loss > 0, `loss ${loss}`);
    const plain = { ...a, grads: undefined };
    for (const [name, gname] of [['X', 'dX'], ['W', 'dW'], ['c', 'dc']] as const) {
      const p = a[name];
      const fd = new Float64Array(p.length);
      for (let i = 0; i < p.length; i++) {
        const keep = p[i]!;
        const eps = 1e-6;
        p[i] = keep + eps;
        const up = softmaxXent(plain);
        p[i] = keep - eps;
        const down = softmaxXent(plain);
        p[i] = keep;
        fd[i] = (up - down) / (2 * eps);
      }
      const e = relErr(a.grads[gname], fd);
      t.true(e < 1e-7, `${gname}: relative error ${e} against finite differences`);
    }
  });
}

const native = nativeReadout(1);
const native2 = nativeReadout(2);

test('the native readout is built and loads', (t) => {
  t.truthy(native, `native kernels not loaded: ${nativeLoadError()} (build them with: node scripts/build-native.mjs)`);
});

// Off the strip grid (ragged strips and chunks, row blocks with leftover rows), and a width
// above one 256-column chunk; with and without row weights.
const SIZES: Dims[] = [{ N: 5, F: 3, V: 17 }, { N: 37, F: 20, V: 45 }, { N: 70, F: 33, V: 301 }, { N: 33, F: 130, V: 600 }];

for (const [name, kernel] of [['one thread', native], ['two threads', native2]] as const) {
  test(`the native readout (${name}) matches the TypeScript one`, (t) => {
    if (!kernel) return t.fail(`native kernels not loaded: ${nativeLoadError()}`);
    for (const [i, d] of SIZES.entries()) {
      for (const weighted of [false, true]) {
        const base = inputs(d, Float32Array, 20 + i, weighted);
        const a = withGrads(base, Float32Array);
        const b = withGrads(base, Float32Array);
        const la = kernel.xent(a);
        const lb = typescriptReadout.xent(b);
        const lossOnly = kernel.xent(base);
        const tag = `${JSON.stringify(d)} weighted=${weighted}`;
        t.true(Math.abs(la - lb) <= 1e-5 * Math.abs(lb), `loss ${tag}: ${la} vs ${lb}`);
        t.is(lossOnly, la, `loss without gradients ${tag}`);
        for (const g of ['dX', 'dW', 'dc'] as const) {
          const e = relErr(a.grads[g], b.grads[g]);
          t.true(e < 1e-5, `${g} ${tag}: relative error ${e}`);
        }
      }
    }
  });
}

// Pass 2 reads the logits pass 1 kept, or (above keepBytes per thread) computes them again: the
// same products in the same order, so both give the same bits, and both match the TypeScript loops.
for (const threads of [1, 2]) {
  test(`the native readout computing its logits again (keepBytes 0, ${threads} thread${threads > 1 ? 's' : ''}) matches keeping them`, (t) => {
    const addon = native ? nativeAddon() : null;
    if (!addon) return t.fail(`native kernels not loaded: ${nativeLoadError()}`);
    for (const [i, d] of SIZES.entries()) {
      for (const weighted of [false, true]) {
        const base = inputs(d, Float32Array, 40 + i, weighted);
        const kept = withGrads(base, Float32Array);
        const again = withGrads(base, Float32Array);
        const ref = withGrads(base, Float32Array);
        const lk = addon.readout({ ...kept, ...kept.grads, threads });
        const la = addon.readout({ ...again, ...again.grads, threads, keepBytes: 0 });
        const lr = typescriptReadout.xent(ref);
        const tag = `${JSON.stringify(d)} weighted=${weighted}`;
        t.is(la, lk, `loss ${tag}`);
        t.true(Math.abs(la - lr) <= 1e-5 * Math.abs(lr), `loss ${tag}: ${la} vs ${lr}`);
        for (const g of ['dX', 'dW', 'dc'] as const) {
          t.deepEqual(again.grads[g], kept.grads[g], `${g} ${tag}`);
          const e = relErr(again.grads[g], ref.grads[g]);
          t.true(e < 1e-5, `${g} ${tag}: relative error ${e}`);
        }
      }
    }
  });
}

/** The reference: the same sum through plain tfjs ops (product, logSoftmax, one-hot pick). */
function graphXent(x: tf.Tensor2D, W: tf.Tensor2D, c: tf.Tensor1D, y: Int32Array, weight?: Float32Array): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(tf.add(tf.matMul(x, W), c));
    const nll = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(y, 'int32'), W.shape[1])), 1));
    return tf.sum(weight ? tf.mul(nll, tf.tensor1d(weight)) : nll) as tf.Scalar;
  });
}

for (const [name, get] of [['native', () => native], ['TypeScript', () => typescriptReadout]] as const) {
  test(`softmaxXentSum (${name}): loss and gradients match the tfjs graph, no tensor leaks`, (t) => {
    const kernel = get() as ReadoutKernel | null;
    if (!kernel) return t.fail(`native kernels not loaded: ${nativeLoadError()}`);
    for (const weighted of [false, true]) {
      const a = inputs({ N: 40, F: 24, V: 97 }, Float32Array, 5, weighted);
      const x = tf.tensor2d(a.X, [a.N, a.F]);
      const W = tf.tensor2d(a.W, [a.F, a.V]);
      const c = tf.tensor1d(a.c);
      const before = tf.memory().numTensors;
      const scale = 0.37; // the upstream gradient: a mean divides the sum
      const fused = tf.valueAndGrads((...v: tf.Tensor[]) =>
        tf.mul(softmaxXentSum({ x: v[0] as tf.Tensor2D, W: v[1] as tf.Tensor2D, c: v[2] as tf.Tensor1D, y: a.y, weight: a.weight, kernel }), scale) as tf.Scalar)([x, W, c]);
      const ref = tf.valueAndGrads((...v: tf.Tensor[]) =>
        tf.mul(graphXent(v[0] as tf.Tensor2D, v[1] as tf.Tensor2D, v[2] as tf.Tensor1D, a.y, a.weight), scale) as tf.Scalar)([x, W, c]);
      const lossOnly = tf.tidy(() => softmaxXentSum({ x, W, c, y: a.y, weight: a.weight, kernel }));
      t.true(relErr(fused.value.dataSync(), ref.value.dataSync()) < 1e-5, `loss weighted=${weighted}`);
      t.true(relErr(lossOnly.dataSync(), [ref.value.dataSync()[0]! / scale]) < 1e-5, `loss-only weighted=${weighted}`);
      ['dx', 'dW', 'dc'].forEach((g, i) => {
        const e = relErr(fused.grads[i]!.dataSync(), ref.grads[i]!.dataSync());
        t.true(e < 1e-4, `${g} weighted=${weighted}: relative error ${e}`);
      });
      tf.dispose([fused.value, ...fused.grads, ref.value, ...ref.grads, lossOnly]);
      t.is(tf.memory().numTensors, before, 'tensors left behind');
      tf.dispose([x, W, c]);
    }
  });
}

const lmSpec = (o: Partial<ModelSpec>): ModelSpec => ({
  cell: 'lstm', hidden: 12, layers: 1, bidirectional: false, init: 'gaussian', inputStd: 0.3, recurrentStd: 0.3,
  forgetBias: 1, engine: 'fused', input: { kind: 'tokens', vocab: 53 }, embedSize: 10, outputSize: 53,
  mode: 'many-to-many', seed: 4, ...o,
});

for (const [cell, layers] of [['lstm', 1], ['rnn_relu', 3]] as const) {
  test(`a ${layers}-layer ${cell} language model: fused readout loss and every gradient match the unrolled graph`, (t) => {
    if (!native) return t.fail(`native kernels not loaded: ${nativeLoadError()}`);
    const [B, T, V] = [3, 7, 53];
    const rng = new Rng(9, 'lm');
    const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
    const y = Int32Array.from({ length: B * T }, () => rng.int(V));
    const mask = Float32Array.from({ length: B * T }, (_, i) => (i % 5 === 4 ? 0 : 1));
    const spec = lmSpec({ cell, layers, init: cell === 'rnn_relu' ? 'identity' : 'gaussian', identityScale: 0.9 });
    const fused = new SequenceModel(spec);
    const ref = new SequenceModel({ ...spec, engine: 'unrolled' }); // same seed: same weights
    t.true(fused.fusedReadout);
    t.false(ref.fusedReadout);
    const x = tf.tensor2d(ids, [B, T], 'int32');
    const refLoss = () => tf.tidy(() => {
      const out = ref.forward(x).out; // [B, T, V]
      return graphXent(tf.reshape(out, [B * T, V]) as tf.Tensor2D, tf.eye(V) as tf.Tensor2D, tf.zeros([V]) as tf.Tensor1D, y, mask);
    });
    const before = tf.memory().numTensors;
    const a = tf.variableGrads(() => fused.xentSum(x, y, { mask }).sum, fused.variables);
    const b = tf.variableGrads(refLoss, ref.variables);
    t.true(relErr(a.value.dataSync(), b.value.dataSync()) < 1e-5, `loss ${a.value.dataSync()[0]} vs ${b.value.dataSync()[0]}`);
    fused.variables.forEach((v, i) => {
      const e = relErr(a.grads[v.name]!.dataSync(), b.grads[ref.variables[i]!.name]!.dataSync());
      t.true(e < 1e-4, `d${v.name}: relative error ${e}`);
    });
    tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
    t.is(tf.memory().numTensors, before, 'tensors left behind');
    tf.dispose(x);
    fused.dispose();
    ref.dispose();
  });
}

test('the addon rejects wrong buffers and class ids outside the vocabulary', (t) => {
  const addon = nativeAddon();
  if (!addon) return t.fail(`native kernels not loaded: ${nativeLoadError()}`);
  const [N, F, V] = [2, 3, 4];
  const ok = { N, F, V, X: new Float32Array(N * F), W: new Float32Array(F * V), c: new Float32Array(V), y: new Int32Array([0, 3]) };
  t.true(Math.abs(addon.readout(ok) - 2 * Math.log(4)) < 1e-6); // all-zero logits: uniform
  t.throws(() => addon.readout({ ...ok, W: new Float32Array(F * V - 1) }), { instanceOf: TypeError, message: /W has length 11, expected 12/ });
  t.throws(() => addon.readout({ ...ok, y: new Float32Array(N) }), { instanceOf: TypeError, message: /y must be an Int32Array/ });
  t.throws(() => addon.readout({ ...ok, y: new Int32Array([0, 4]) }), { instanceOf: TypeError, message: /y\[1\] = 4 is not a class id in 0..3/ });
  t.throws(() => addon.readout({ ...ok, dX: new Float32Array(N * F) }), { instanceOf: TypeError, message: /dW must be a Float32Array/ });
});
