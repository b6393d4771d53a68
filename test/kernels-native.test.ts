// Kernel-level checks on flat arrays: the TypeScript kernel's gradients against central finite
// differences in float64, the native addon against the TypeScript kernel (sizes that exercise
// every tile path), thread-count independence, and the addon's argument checks.
import test from 'ava';
import type { BackwardArgs, Floats, ForwardArgs, Kernel, KernelShape } from '../src/kernels/kernel.js';
import { loadNativeKernel, nativeAddon, nativeLoadError } from '../src/kernels/native.js';
import { backward, forward, savedLength, typescriptKernel } from '../src/kernels/typescript.js';
import { GATES, type CellKind } from '../src/models/recurrence.js';
import { Rng } from '../src/util/rng.js';

const CELLS: CellKind[] = ['rnn_relu', 'rnn_tanh', 'lstm', 'gru'];
interface Dims { T: number; B: number; H: number; I?: number }
type Ctor<F extends Floats> = new (n: number) => F;

/** Random inputs (all of them, as flat arrays of type F) for one cell and size. */
function inputs<F extends Floats>(cell: CellKind, d: Dims, Arr: Ctor<F>, seed: number): Record<string, F> {
  const rng = new Rng(seed, cell);
  const G = GATES[cell] * d.H;
  const rand = (n: number, std: number) => {
    const a = new Arr(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal(0, std);
    return a;
  };
  const v: Record<string, F> = { x: rand(d.T * d.B * G, 0.8), W: rand(d.H * G, 0.4), h0: rand(d.B * d.H, 0.5) };
  if (d.I) Object.assign(v, { inp: rand(d.T * d.B * d.I, 1), U: rand(d.I * G, 0.4), b: rand(G, 0.3) });
  if (cell === 'gru') v.bh = rand(G, 0.3);
  if (cell === 'lstm') v.c0 = rand(d.B * d.H, 0.5);
  v.dstates = rand(d.T * d.B * d.H, 1);
  return v;
}

/** Runs forward and backward; returns every output array by name (`aux`, the saved buffer, is in
 *  each kernel's own layout). */
function runKernel<F extends Floats>(
  k: { savedLength(s: KernelShape): number; forward(a: ForwardArgs<F>): void; backward(a: BackwardArgs<F>): void },
  cell: CellKind, d: Dims, v: Record<string, F>, Arr: Ctor<F>,
): Record<string, F> {
  const { T, B, H } = d;
  const G = GATES[cell] * H;
  const o: Record<string, F> = {
    states: new Arr(T * B * H), aux: new Arr(k.savedLength({ cell, T, B, H })), dW: new Arr(H * G), dh0: new Arr(B * H),
  };
  if (!d.I) o.dx = new Arr(T * B * G); // the gradient w.r.t. ready projections
  if (cell === 'lstm') Object.assign(o, { cT: new Arr(B * H), dc0: new Arr(B * H) });
  if (cell === 'gru') o.dbh = new Arr(G);
  if (d.I) Object.assign(o, { dinp: new Arr(T * B * d.I), dU: new Arr(d.I * G), db: new Arr(G) });
  const x = d.I ? undefined : v.x!; // ready projections, or the kernel projects the input
  const proj = d.I ? { I: d.I, inp: v.inp!, U: v.U! } : undefined;
  k.forward({ cell, T, B, H, x, W: v.W!, bh: v.bh, h0: v.h0!, c0: v.c0, states: o.states!, aux: o.aux!, cT: o.cT, proj: proj && { ...proj, b: v.b! } });
  k.backward({
    cell, T, B, H, W: v.W!, h0: v.h0!, c0: v.c0, states: o.states!, aux: o.aux!, dstates: v.dstates!,
    dx: o.dx, dW: o.dW!, dbh: o.dbh, dh0: o.dh0!, dc0: o.dc0, proj: proj && { ...proj, dinp: o.dinp!, dU: o.dU!, db: o.db! },
  });
  return o;
}

const GRAD_OF: Record<string, string> = { x: 'dx', W: 'dW', bh: 'dbh', h0: 'dh0', c0: 'dc0', inp: 'dinp', U: 'dU', b: 'db' };
const ts64 = { savedLength, forward: forward<Float64Array>, backward: backward<Float64Array> };

for (const cell of CELLS) {
  for (const I of [undefined, 3]) {
    test(`${cell}${I ? ', input projected' : ''}: float64 gradients match central finite differences`, (t) => {
      const d = { T: 5, B: 2, H: 4, I };
      const v = inputs(cell, d, Float64Array, 11);
      const grads = runKernel(ts64, cell, d, v, Float64Array);
      // L = sum(states * dstates), so dL/dstates = dstates as the backward pass assumes.
      const loss = () => {
        const s = runKernel(ts64, cell, d, v, Float64Array).states!;
        return s.reduce((acc, h, i) => acc + h * v.dstates![i]!, 0);
      };
      const rng = new Rng(5, 'fd');
      for (const [name, gname] of Object.entries(GRAD_OF)) {
        const p = v[name];
        if (!p || (name === 'x' && I)) continue; // with a projection, x is scratch
        for (let n = 0; n < 6; n++) {
          const i = rng.int(p.length);
          const keep = p[i]!;
          const eps = 1e-6;
          p[i] = keep + eps;
          const up = loss();
          p[i] = keep - eps;
          const down = loss();
          p[i] = keep;
          const fd = (up - down) / (2 * eps);
          const an = grads[gname]![i]!;
          t.true(Math.abs(fd - an) <= 1e-7 + 1e-6 * Math.abs(fd), `${gname}[${i}]: analytic ${an}, finite difference ${fd}`);
        }
      }
    });
  }
}

const native = loadNativeKernel({ threads: 1 });

/** max |a - b| / max |b| over one output, float32 kernels against each other. */
const maxRel = (a: Floats, b: Floats) => {
  let num = 0;
  let den = 1e-30;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
};

test('the native addon is built and loads', (t) => {
  t.truthy(native, `native kernels not loaded: ${nativeLoadError()} (build them with: node scripts/build-native.mjs)`);
});

for (const cell of CELLS) {
  test(`${cell}: the TypeScript kernel matches the native one`, (t) => {
    if (!native) return t.fail(`native kernels not loaded: ${nativeLoadError()}`);
    // Sizes off the SIMD tile grid (leftover rows and columns), narrow and wide projections,
    // batches of two and three vectors of rows, and of two blocks (64 rows and the rest).
    const sizes = [{ T: 4, B: 3, H: 5, I: 2 }, { T: 5, B: 11, H: 37 }, { T: 3, B: 9, H: 20, I: 21 }, { T: 3, B: 40, H: 7, I: 2 }, { T: 2, B: 70, H: 5, I: 3 }];
    for (const [i, d] of sizes.entries()) {
      const v = inputs(cell, d, Float32Array, 20 + i);
      const a = runKernel(native as Kernel, cell, d, v, Float32Array);
      const b = runKernel(typescriptKernel, cell, d, v, Float32Array);
      for (const key of Object.keys(b).filter((k) => k !== 'aux')) t.true(maxRel(a[key]!, b[key]!) < 1e-5, `${key} ${JSON.stringify(d)}: ${maxRel(a[key]!, b[key]!)}`);
    }
  });
}

test('splitting the batch over two threads gives bit-identical results', (t) => {
  const two = loadNativeKernel({ threads: 2 });
  if (!native || !two) return t.fail(`native kernels not loaded: ${nativeLoadError()}`);
  for (const cell of CELLS) {
    const d = { T: 6, B: 150, H: 24, I: 2 }; // three blocks of rows: 64, 64, 22
    const v = inputs(cell, d, Float32Array, 3);
    const a = runKernel(native as Kernel, cell, d, v, Float32Array);
    const b = runKernel(two as Kernel, cell, d, v, Float32Array);
    for (const key of Object.keys(a)) t.deepEqual(a[key], b[key], `${cell} ${key}`);
  }
});

test('the addon rejects a buffer of the wrong length or type instead of reading past it', (t) => {
  const addon = nativeAddon();
  if (!addon) return t.fail(`native kernels not loaded: ${nativeLoadError()}`);
  const [T, B, H] = [2, 2, 3];
  const aux = new Float32Array(addon.savedLength({ cell: 0, T, B, H }));
  const ok = { cell: 0, T, B, H, x: new Float32Array(T * B * H), W: new Float32Array(H * H), h0: new Float32Array(B * H), states: new Float32Array(T * B * H), aux };
  t.notThrows(() => addon.forward(ok));
  t.throws(() => addon.forward({ ...ok, W: new Float32Array(H * H - 1) }), { instanceOf: TypeError, message: /W has length 8, expected 9/ });
  t.throws(() => addon.forward({ ...ok, h0: new Float64Array(B * H) }), { instanceOf: TypeError, message: /h0 must be a Float32Array/ });
  t.throws(() => addon.forward({ ...ok, cell: 7 }), { instanceOf: TypeError, message: /cell must be 0..3/ });
  t.throws(() => addon.forward({ ...ok, aux: aux.subarray(1) }), { instanceOf: TypeError, message: /aux has length/ });
  t.throws(() => addon.backward(undefined as never), { instanceOf: TypeError, message: /expected one options object/ });
});
