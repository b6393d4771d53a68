// The optimizer and clipping tests that depend on the flat-array passes of src/kernels/optim.ts
// (not a test file itself): registered once per implementation, by optimizers.test.ts (the native
// addon) and optimizers-typescript.test.ts (IRNN_KERNEL=typescript: the TypeScript loops), so a
// slip in either is caught. Each first checks that the implementation it names is the one in use.
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { optimImpl, sumSquares } from '../src/kernels/optim.js';
import { nativeLoadError } from '../src/kernels/native.js';
import { FusedAdam } from '../src/train/adam.js';
import { clipByGlobalNorm } from '../src/train/optimizers.js';
import { initBackend } from '../src/train/backend.js';
import { Rng } from '../src/util/rng.js';

const relErr = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  let num = 0;
  let den = 1e-30;
  for (let i = 0; i < y.length; i++) [num, den] = [num + (x[i]! - y[i]!) ** 2, den + y[i]! ** 2];
  return Math.sqrt(num / den);
};

export function optimizerCases(impl: 'native' | 'typescript'): void {
  test.before(async () => {
    await initBackend('wasm');
  });
  const inUse = (t: import('ava').ExecutionContext) => t.is(optimImpl(), impl, impl === 'native' ? `native addon not loaded: ${nativeLoadError()}` : 'IRNN_KERNEL=typescript');
  const grads = () => ({ a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) }); // global norm 5

  test(`${impl}: the sum of squares of a float32 array matches a float64 sum`, (t) => {
    inUse(t);
    const rng = new Rng(7, 'sumsq');
    for (const n of [0, 1, 7, 33, 1000, 4099]) {
      const x = new Float32Array(n).map(() => rng.normal(0, 3));
      let want = 0;
      for (const v of x) want += v * v;
      t.true(Math.abs(sumSquares(x) - want) <= 1e-6 * Math.max(1, want), `n=${n}: ${sumSquares(x)} vs ${want}`);
    }
  });

  test(`${impl}: gradients above the clip are scaled to a global norm equal to the clip, direction kept`, (t) => {
    inUse(t);
    const g = grads();
    const r = clipByGlobalNorm(g, 1);
    t.true(Math.abs(r.norm - 5) < 1e-6);
    const a = [...r.grads['a']!.dataSync()];
    const b = [...r.grads['b']!.dataSync()];
    t.true(Math.abs(a[0]! - 0.6) < 1e-6 && a[1] === 0);
    t.true(b[0] === 0 && Math.abs(b[1]! - 0.8) < 1e-6);
    tf.dispose([...Object.values(g), ...Object.values(r.grads)]);
  });

  test(`${impl}: gradients within the clip, or with clipping off, are passed through unchanged`, (t) => {
    inUse(t);
    for (const clip of [10, 5, null]) {
      const g = grads();
      const r = clipByGlobalNorm(g, clip);
      t.is(r.grads['a'], g['a']);
      t.deepEqual([...r.grads['b']!.dataSync()], [0, 4]);
      tf.dispose(Object.values(g));
    }
  });

  test(`${impl}: FusedAdam takes the same steps as tf.train.adam and keeps the same state`, async (t) => {
    inUse(t);
    const make = (tag: string) => [tf.variable(tf.tensor2d([[0.5, -1], [2, 0.25]]), true, `${impl}-${tag}/w`), tf.variable(tf.tensor1d([0.1, -0.3, 0]), true, `${impl}-${tag}/b`)];
    const [ours, ref] = [make('fused'), make('tfjs')];
    const opts = [0.05, 0.8, 0.95, 1e-7] as const;
    const [a, b] = [new FusedAdam(...opts), tf.train.adam(...opts)];
    const start = ours.map((v) => [...v.dataSync()]);
    for (let step = 0; step < 4; step++) {
      // A loss whose gradient changes sign and size from step to step.
      const loss = (vs: tf.Variable[]) => () => tf.tidy(() => tf.add(tf.sum(tf.sin(tf.mul(vs[0]!, 3))), tf.sum(tf.square(tf.sub(vs[1]!, step)))) as tf.Scalar);
      const ga = tf.variableGrads(loss(ours), ours);
      const gb = tf.variableGrads(loss(ref), ref);
      a.applyGradients(ga.grads as never);
      b.applyGradients(gb.grads as never);
      tf.dispose([ga.value, gb.value, ...Object.values(ga.grads), ...Object.values(gb.grads)]);
      ours.forEach((v, i) => {
        const [x, y] = [v.dataSync(), ref[i]!.dataSync()];
        x.forEach((e, k) => t.true(Math.abs(e - y[k]!) <= 1e-6 * Math.max(1, Math.abs(y[k]!)), `step ${step} ${v.name}[${k}]: ${e} vs ${y[k]}`));
      });
    }
    ours.forEach((v, i) => t.true(v.dataSync().every((e, k) => e !== start[i]![k]), `${v.name}: every weight moved`));
    const [wa, wb] = [await a.getWeights(), await b.getWeights()];
    t.deepEqual(wa.map((w) => w.name.replace('fused', '')), wb.map((w) => w.name.replace('tfjs', '')));
    wa.forEach((w, i) => t.true(relErr(w.tensor.dataSync(), wb[i]!.tensor.dataSync()) < 1e-5, w.name));
    a.dispose();
    b.dispose();
    tf.dispose([...ours, ...ref]);
  });
}
