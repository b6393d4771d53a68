// The gradient-flow probe against its definition: per-step norms of ∂L/∂h_t from the kernels'
// backward pass equal the analytic product of Jacobians for a tiny tanh RNN, stay exactly
// constant for an IRNN at initialisation, agree between the native and TypeScript kernels, and
// between the fused and unrolled engines (every cell, through `recurrence`).
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import type { Floats, Kernel, KernelShape } from '../src/kernels/kernel.js';
import { loadNativeKernel, nativeLoadError } from '../src/kernels/native.js';
import { recordRecurrences } from '../src/kernels/probe.js';
import { backward, forward, savedLength, typescriptKernel } from '../src/kernels/typescript.js';
import { GATES, recurrence, type CellKind } from '../src/models/recurrence.js';
import { initBackend } from '../src/train/backend.js';
import { Rng } from '../src/util/rng.js';

const native = loadNativeKernel({ threads: 1 });
const ts64 = { impl: 'typescript', savedLength, forward: forward<Float64Array>, backward: backward<Float64Array> };
type AnyKernel = { savedLength(s: KernelShape): number; forward(a: never): void; backward(a: never): void };

/** Forward then backward with the probe on; x is [T, B, G*H] given directly (no projection). */
function probe<F extends Floats>(k: AnyKernel, Arr: new (n: number) => F, o: { cell: CellKind; T: number; B: number; H: number; x: number[]; W: number[]; h0?: number[]; c0?: number[]; bh?: number[]; dstates: number[] }) {
  const { cell, T, B, H } = o;
  const G = GATES[cell] * H;
  const a = (v: number[] | undefined, n: number): F => {
    const out = new Arr(v ? v.length : n);
    if (v) out.set(v);
    return out;
  };
  const states = new Arr(T * B * H);
  const aux = new Arr(k.savedLength({ cell, T, B, H }));
  const common = { cell, T, B, H, W: a(o.W, 0), h0: a(o.h0, B * H), c0: cell === 'lstm' ? a(o.c0, B * H) : undefined };
  (k.forward as (x: unknown) => void)({ ...common, x: a(o.x, 0), bh: cell === 'gru' ? a(o.bh, G) : undefined, states, aux, cT: cell === 'lstm' ? new Arr(B * H) : undefined });
  const hNorm = new Arr(T * B);
  const cNorm = cell === 'lstm' ? new Arr(T * B) : undefined;
  (k.backward as (x: unknown) => void)({
    ...common, states, aux, dstates: a(o.dstates, 0), dx: new Arr(T * B * G), dW: new Arr(H * G), dh0: new Arr(B * H),
    dbh: cell === 'gru' ? new Arr(G) : undefined, dc0: cell === 'lstm' ? new Arr(B * H) : undefined, hNorm, cNorm,
  });
  return { states, hNorm, cNorm };
}

const KERNELS: Array<[string, AnyKernel | null, new (n: number) => Floats]> = [
  ['typescript float64', ts64, Float64Array],
  ['typescript float32', typescriptKernel, Float32Array],
  ['native', native, Float32Array],
];

test('tiny tanh RNN: per-step norms equal the analytic product of Jacobians applied to dL/dh_T', (t) => {
  const [T, B, H] = [6, 2, 2];
  const W = [0.5, -0.4, 0.3, 0.6]; // row-major [H, H]: a_t = x_t + h_{t-1} W
  const x = Array.from({ length: T * B * H }, (_, i) => 0.3 * Math.sin(1.3 * i + 0.2));
  const gT = [[0.7, -0.4], [-0.2, 0.9]]; // dL/dh_T per row; the loss reads only the last step
  const dstates = new Array(T * B * H).fill(0);
  gT.forEach((g, b) => g.forEach((v, j) => (dstates[((T - 1) * B + b) * H + j] = v)));
  // The reference, in float64 from the definitions: h_t = tanh(x_t + h_{t-1} W), and
  // dL/dh_{t-1} = J_t^T dL/dh_t with J_t = diag(1 - h_t^2) W^T, i.e. g_{t-1}[m] = sum_j W[m][j] (1 - h_t[j]^2) g_t[j].
  const want: number[] = new Array(T * B);
  for (let b = 0; b < B; b++) {
    const hs: number[][] = [];
    let h = [0, 0];
    for (let s = 0; s < T; s++) {
      h = [0, 1].map((j) => Math.tanh(x[(s * B + b) * H + j]! + h[0]! * W[j]! + h[1]! * W[H + j]!));
      hs.push(h);
    }
    let g = gT[b]!;
    for (let s = T - 1; s >= 0; s--) {
      want[s * B + b] = Math.hypot(...g);
      const d = g.map((v, j) => v * (1 - hs[s]![j]! ** 2));
      g = [0, 1].map((m) => W[m * H]! * d[0]! + W[m * H + 1]! * d[1]!);
    }
  }
  t.true(want[0]! < 0.5 * want[(T - 1) * B]!, 'the example should shrink the gradient noticeably');
  for (const [name, k, Arr] of KERNELS) {
    if (!k) {
      t.fail(`native kernels not loaded: ${nativeLoadError()}`);
      continue;
    }
    const { hNorm } = probe(k, Arr, { cell: 'rnn_tanh', T, B, H, x, W, dstates });
    const tol = Arr === Float64Array ? 1e-12 : 2e-6;
    want.forEach((w, i) => t.true(Math.abs(hNorm[i]! - w) <= tol * w, `${name} [t=${Math.floor(i / B)}, b=${i % B}]: ${hNorm[i]} vs ${w}`));
  }
});

test('IRNN at initialisation (W = I, positive state, no input after the first step) keeps the norm exactly', (t) => {
  const [T, B, H] = [40, 3, 5];
  const W = Array.from({ length: H * H }, (_, i) => (i % (H + 1) === 0 ? 1 : 0));
  const x = new Array(T * B * H).fill(0);
  for (let i = 0; i < B * H; i++) x[i] = 0.1 + 0.05 * i; // the first step only
  const dstates = new Array(T * B * H).fill(0);
  for (let i = 0; i < B * H; i++) dstates[(T - 1) * B * H + i] = Math.cos(i) * 0.3;
  for (const [name, k, Arr] of KERNELS) {
    if (!k) {
      t.fail(`native kernels not loaded: ${nativeLoadError()}`);
      continue;
    }
    const { hNorm } = probe(k, Arr, { cell: 'rnn_relu', T, B, H, x, W, dstates });
    for (let b = 0; b < B; b++) {
      const last = hNorm[(T - 1) * B + b]!;
      t.true(last > 0);
      for (let s = 0; s < T; s++) t.is(hNorm[s * B + b], last, `${name} row ${b} step ${s}`);
    }
  }
});

const CELLS: CellKind[] = ['rnn_relu', 'rnn_tanh', 'lstm', 'gru'];

function randomCase(cell: CellKind, d: { T: number; B: number; H: number }, seed: number) {
  const rng = new Rng(seed, `probe-${cell}`);
  const r = (n: number, std: number) => Array.from({ length: n }, () => rng.normal(0, std));
  const G = GATES[cell] * d.H;
  return {
    cell, ...d, x: r(d.T * d.B * G, 0.8), W: r(d.H * G, 0.4), h0: r(d.B * d.H, 0.5),
    c0: r(d.B * d.H, 0.5), bh: r(G, 0.3), dstates: r(d.T * d.B * d.H, 1),
  };
}

for (const cell of CELLS) {
  test(`${cell}: native and TypeScript kernels give the same per-step norms, with any thread count`, (t) => {
    const two = loadNativeKernel({ threads: 2 });
    if (!native || !two) return t.fail(`native kernels not loaded: ${nativeLoadError()}`);
    for (const [i, d] of [{ T: 7, B: 3, H: 5 }, { T: 5, B: 11, H: 37 }].entries()) {
      const c = randomCase(cell, d, 40 + i);
      const a = probe(native as Kernel, Float32Array, c);
      const b = probe(typescriptKernel, Float32Array, c);
      const p = probe(two as Kernel, Float32Array, c);
      for (const key of ['hNorm', 'cNorm'] as const) {
        if (!b[key]) continue;
        b[key]!.forEach((v, j) => t.true(Math.abs(a[key]![j]! - v) <= 1e-5 * Math.max(1, v), `${key}[${j}]: native ${a[key]![j]}, typescript ${v}`));
        t.deepEqual(p[key], a[key], `${key}: two threads`);
      }
      t.is(a.cNorm === undefined, cell !== 'lstm');
    }
  });
}

test.before(async () => {
  await initBackend('wasm');
});

for (const engine of ['fused', 'unrolled'] as const) {
  test.serial(`IRNN at initialisation through the ${engine} engine: the recorded norm is the same at every step`, (t) => {
    const [T, B, H] = [30, 2, 4];
    const eye = tf.eye(H) as tf.Tensor2D;
    const first = tf.concat([tf.fill([1, B, H], 0.2), tf.zeros([T - 1, B, H])]) as tf.Tensor3D; // input at t = 0 only
    const g = tf.tensor2d([[0.3, -0.1, 0.4, 0.2], [-0.5, 0.1, 0.1, 0.3]]);
    let hNorm!: Float32Array;
    tf.tidy(() => {
      tf.grads((W: tf.Tensor) => {
        const { result, records } = recordRecurrences(() =>
          recurrence({ cell: 'rnn_relu', input: { x: first, U: eye, b: tf.zeros([H]) }, W: W as tf.Tensor2D, h0: tf.zeros([B, H]), engine }),
        );
        hNorm = records[0]!.hNorm!;
        return tf.sum(tf.mul(tf.slice(result.states, [T - 1, 0, 0], [1, B, H]).reshape([B, H]), g));
      })([eye]);
    });
    for (let b = 0; b < B; b++) {
      const want = Math.hypot(...(g.arraySync()[b] as number[]));
      t.true(Math.abs(hNorm[(T - 1) * B + b]! - want) < 1e-6);
      for (let s = 0; s < T; s++) t.is(hNorm[s * B + b], hNorm[(T - 1) * B + b], `row ${b} step ${s}`);
    }
    tf.dispose([eye, first, g]);
  });
}

for (const cell of CELLS) {
  test.serial(`${cell}: the fused and the unrolled engine record the same profile`, (t) => {
    const [T, B, H, I] = [9, 3, 6, 2];
    const G = GATES[cell] * H;
    const rng = new Rng(7, cell);
    const r = (shape: number[], std: number) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal(0, std)), shape);
    const inputs = {
      x: r([T, B, I], 1) as tf.Tensor3D, U: r([I, G], 0.5) as tf.Tensor2D, b: r([G], 0.2) as tf.Tensor1D, W: r([H, G], 0.5) as tf.Tensor2D,
      bh: r([G], 0.2) as tf.Tensor1D, h0: r([B, H], 0.3) as tf.Tensor2D, c0: r([B, H], 0.3) as tf.Tensor2D, probe: r([T, B, H], 1),
    };
    const profile = (engine: 'fused' | 'unrolled') => {
      let rec!: ReturnType<typeof recordRecurrences>['records'];
      tf.tidy(() => {
        tf.grads((W: tf.Tensor) => {
          const { result, records } = recordRecurrences(() =>
            recurrence({ cell, input: { x: inputs.x, U: inputs.U, b: inputs.b }, W: W as tf.Tensor2D, bh: cell === 'gru' ? inputs.bh : undefined, h0: inputs.h0, c0: cell === 'lstm' ? inputs.c0 : undefined, engine }),
          );
          rec = records;
          // A loss that reads every step, and the last step more: tanh keeps it non-linear.
          return tf.sum(tf.tanh(tf.mul(result.states, inputs.probe)));
        })([inputs.W]);
      });
      t.is(rec.length, 1);
      return rec[0]!;
    };
    const before = tf.memory().numTensors;
    const f = profile('fused');
    const u = profile('unrolled');
    t.is(tf.memory().numTensors, before, 'no tensor leaks');
    t.deepEqual([f.T, f.B, f.H], [T, B, H]);
    for (const key of ['states', 'hNorm', 'cNorm'] as const) {
      t.is(f[key] === undefined, key === 'cNorm' && cell !== 'lstm', key);
      f[key]?.forEach((v, i) => t.true(Math.abs(v - u[key]![i]!) <= 1e-4 * Math.max(1, Math.abs(v)), `${key}[${i}]: fused ${v}, unrolled ${u[key]![i]}`));
    }
    t.true(f.hNorm!.some((v) => v > 0));
    tf.dispose(Object.values(inputs));
  });
}
