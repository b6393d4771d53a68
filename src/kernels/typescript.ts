// Plain-loop fused recurrence: the fallback when the native addon is not built, and (on
// Float64Arrays) the double-precision reference for finite-difference checks. Same buffers and
// equations as native/recurrence.cc; no allocation inside the time loop.
import type { CellKind } from './contract.js';
import { AUX_WIDTH, type BackwardArgs, type Floats, type ForwardArgs, type Kernel } from './kernel.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

// C[M, N] += op(A)[M, K] @ B[K, N] at element offsets a0, b0, c0 with row strides; transA
// means A is stored [K, M]. Four rows of C share each load of B (twice the speed of one row
// at a time in V8). Positional arguments on purpose: it runs every timestep and an options
// object would allocate each time.
function gemmAcc(
  M: number, N: number, K: number, transA: boolean,
  A: Floats, a0: number, lda: number,
  B: Floats, b0: number, ldb: number,
  C: Floats, c0: number, ldc: number,
): void {
  // Element (i, k) of op(A) is A[a0 + i * si + k * sk].
  const [si, sk] = transA ? [1, lda] : [lda, 1];
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const r0 = c0 + i * ldc, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
    for (let k = 0; k < K; k++) {
      const ak = a0 + i * si + k * sk;
      const x0 = A[ak]!, x1 = A[ak + si]!, x2 = A[ak + 2 * si]!, x3 = A[ak + 3 * si]!;
      const bk = b0 + k * ldb;
      for (let j = 0; j < N; j++) {
        const b = B[bk + j]!;
        C[r0 + j]! += x0 * b;
        C[r1 + j]! += x1 * b;
        C[r2 + j]! += x2 * b;
        C[r3 + j]! += x3 * b;
      }
    }
  }
  for (; i < M; i++) {
    const ci = c0 + i * ldc;
    for (let k = 0; k < K; k++) {
      const a = A[a0 + i * si + k * sk]!;
      const bk = b0 + k * ldb;
      for (let j = 0; j < N; j++) C[ci + j]! += a * B[bk + j]!;
    }
  }
}

/** Offset of h_{t-1} in `prevStates(a, t)`: the states row block of t - 1, or 0 in h0. */
const prevOffset = (a: { B: number; H: number }, t: number): number => (t ? (t - 1) * a.B * a.H : 0);
const prevStates = <F extends Floats>(a: { states: F; h0: F }, t: number): F => (t ? a.states : a.h0);

/** dst[d .. d+n) = src[s .. s+n), without the view object `subarray` would allocate. */
function copy(dst: Floats, d: number, src: Floats, s: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}

type Step<Args> = (a: Args, t: number) => void;
type WithX<A, F extends Floats = Floats> = A & { x: F };
type WithDx<A, F extends Floats = Floats> = A & { dx: F };

function rnnForward(relu: boolean): Step<WithX<ForwardArgs<Floats>>> {
  return (a, t) => {
    const { B, H, states: h } = a;
    const hp = prevStates(a, t), hpo = prevOffset(a, t);
    const o = t * B * H;
    copy(h, o, a.x, o, B * H);
    gemmAcc(B, H, H, false, hp, hpo, H, a.W, 0, H, h, o, H);
    for (let i = o; i < o + B * H; i++) h[i] = relu ? Math.max(h[i]!, 0) : Math.tanh(h[i]!);
  };
}

const lstmForward: Step<WithX<ForwardArgs<Floats>>> = (a, t) => {
  const { B, H, aux } = a;
  const G = 4 * H, A = 6 * H;
  const hp = prevStates(a, t), hpo = prevOffset(a, t);
  for (let b = 0; b < B; b++) copy(aux, (t * B + b) * A, a.x, (t * B + b) * G, G);
  gemmAcc(B, G, H, false, hp, hpo, H, a.W, 0, G, aux, t * B * A, A);
  for (let b = 0; b < B; b++) {
    const r = (t * B + b) * A;
    const cs = t ? aux : a.c0!; // c_{t-1}
    const co = t ? r - B * A + 4 * H : b * H;
    for (let j = 0; j < H; j++) {
      const i = sigmoid(aux[r + j]!), f = sigmoid(aux[r + H + j]!);
      const g = Math.tanh(aux[r + 2 * H + j]!), o = sigmoid(aux[r + 3 * H + j]!);
      const c = f * cs[co + j]! + i * g, tc = Math.tanh(c);
      aux[r + j] = i, aux[r + H + j] = f, aux[r + 2 * H + j] = g, aux[r + 3 * H + j] = o;
      aux[r + 4 * H + j] = c, aux[r + 5 * H + j] = tc;
      a.states[(t * B + b) * H + j] = o * tc;
    }
    if (t === a.T - 1) copy(a.cT!, b * H, aux, r + 4 * H, H);
  }
};

const gruForward: Step<WithX<ForwardArgs<Floats>>> = (a, t) => {
  const { B, H, aux, x } = a;
  const G = 3 * H, A = 4 * H;
  const hp = prevStates(a, t), hpo = prevOffset(a, t);
  for (let b = 0; b < B; b++) aux.set(a.bh!, (t * B + b) * A);
  gemmAcc(B, G, H, false, hp, hpo, H, a.W, 0, G, aux, t * B * A, A);
  for (let b = 0; b < B; b++) {
    const r = (t * B + b) * A, xo = (t * B + b) * G, ho = (t * B + b) * H;
    for (let j = 0; j < H; j++) {
      const rg = sigmoid(x[xo + j]! + aux[r + j]!), z = sigmoid(x[xo + H + j]! + aux[r + H + j]!);
      const hn = aux[r + 2 * H + j]!, n = Math.tanh(x[xo + 2 * H + j]! + rg * hn);
      aux[r + j] = rg, aux[r + H + j] = z, aux[r + 2 * H + j] = n, aux[r + 3 * H + j] = hn;
      a.states[ho + j] = (1 - z) * n + z * hp[hpo + b * H + j]!;
    }
  }
};

// Backward steps: turn the carried dh (plus the loss gradient of step t) into pre-activation
// gradients in `d` (the recurrent side) and leave dh_{t-1} minus its recurrent product in dh.
interface BackState<F extends Floats> { dh: F; dc: F; d: F; WT: F }
type BackStep = (a: WithDx<BackwardArgs<Floats>>, s: BackState<Floats>, t: number) => void;

function rnnBackward(relu: boolean): BackStep {
  return (a, s, t) => {
    const { B, H } = a;
    for (let i = 0, o = t * B * H; i < B * H; i++) {
      const h = a.states[o + i]!;
      const dh = s.dh[i]! + a.dstates[o + i]!;
      s.d[o + i] = relu ? (h > 0 ? dh : 0) : dh * (1 - h * h);
      s.dh[i] = 0;
    }
  };
}

const lstmBackward: BackStep = (a, s, t) => {
  const { B, H, aux } = a;
  const A = 6 * H, G = 4 * H;
  for (let b = 0; b < B; b++) {
    const r = (t * B + b) * A, d = (t * B + b) * G, o = (t * B + b) * H;
    const cs = t ? aux : a.c0!; // c_{t-1}
    const co = t ? r - B * A + 4 * H : b * H;
    for (let j = 0; j < H; j++) {
      const i = aux[r + j]!, f = aux[r + H + j]!, g = aux[r + 2 * H + j]!, og = aux[r + 3 * H + j]!;
      const tc = aux[r + 5 * H + j]!;
      const dh = s.dh[b * H + j]! + a.dstates[o + j]!;
      const dc = s.dc[b * H + j]! + dh * og * (1 - tc * tc);
      s.d[d + j] = dc * g * i * (1 - i);
      s.d[d + H + j] = dc * cs[co + j]! * f * (1 - f);
      s.d[d + 2 * H + j] = dc * i * (1 - g * g);
      s.d[d + 3 * H + j] = dh * tc * og * (1 - og);
      s.dc[b * H + j] = dc * f;
      s.dh[b * H + j] = 0;
    }
  }
};

const gruBackward: BackStep = (a, s, t) => {
  const { B, H, aux } = a;
  const A = 4 * H, G = 3 * H;
  const hp = prevStates(a, t), hpo = prevOffset(a, t);
  for (let b = 0; b < B; b++) {
    const r = (t * B + b) * A, d = (t * B + b) * G, o = (t * B + b) * H;
    for (let j = 0; j < H; j++) {
      const rg = aux[r + j]!, z = aux[r + H + j]!, n = aux[r + 2 * H + j]!, hn = aux[r + 3 * H + j]!;
      const dh = s.dh[b * H + j]! + a.dstates[o + j]!;
      const dnp = dh * (1 - z) * (1 - n * n);
      const drp = dnp * hn * rg * (1 - rg);
      const dzp = dh * (hp[hpo + b * H + j]! - n) * z * (1 - z);
      a.dx[d + j] = drp, a.dx[d + H + j] = dzp, a.dx[d + 2 * H + j] = dnp;
      s.d[d + j] = drp, s.d[d + H + j] = dzp, s.d[d + 2 * H + j] = dnp * rg;
      s.dh[b * H + j] = dh * z;
    }
  }
};

// The diagnostics' probe: the norms of the total gradients reaching step t (carried from later
// steps plus the loss gradient of step t), read before the step consumes them.
function probeNorms(a: BackwardArgs<Floats>, s: BackState<Floats>, t: number): void {
  const { B, H, aux } = a;
  const c = a.cell === 'lstm' ? a.cNorm : undefined;
  for (let b = 0; b < B; b++) {
    const o = (t * B + b) * H, r = (t * B + b) * 6 * H;
    let sh = 0, sc = 0;
    for (let j = 0; j < H; j++) {
      const dh = s.dh[b * H + j]! + a.dstates[o + j]!;
      sh += dh * dh;
      if (c) {
        const og = aux[r + 3 * H + j]!, tc = aux[r + 5 * H + j]!;
        const dc = s.dc[b * H + j]! + dh * og * (1 - tc * tc);
        sc += dc * dc;
      }
    }
    if (a.hNorm) a.hNorm[t * B + b] = Math.sqrt(sh);
    if (c) c[t * B + b] = Math.sqrt(sc);
  }
}

const FORWARD: Record<CellKind, Step<WithX<ForwardArgs<Floats>>>> = {
  rnn_relu: rnnForward(true),
  rnn_tanh: rnnForward(false),
  lstm: lstmForward,
  gru: gruForward,
};
const BACKWARD: Record<CellKind, BackStep> = {
  rnn_relu: rnnBackward(true),
  rnn_tanh: rnnBackward(false),
  lstm: lstmBackward,
  gru: gruBackward,
};

export function forward<F extends Floats>(args: ForwardArgs<F>): void {
  const p = args.proj;
  const G = args.W.length / args.H; // gates * H
  const x = args.x ?? new (args.W.constructor as new (n: number) => F)(args.T * args.B * G);
  const a = { ...args, x };
  if (p) {
    const rows = a.T * a.B, N = p.b.length;
    for (let r = 0; r < rows; r++) x.set(p.b, r * N);
    gemmAcc(rows, N, p.I, false, p.inp, 0, p.I, p.U, 0, N, x, 0, N);
  }
  const step = FORWARD[a.cell];
  for (let t = 0; t < a.T; t++) step(a, t);
}

export function backward<F extends Floats>(args: BackwardArgs<F>): void {
  const { cell, T, B, H } = args;
  const G = args.W.length / H; // gates * H
  const make = (n: number): F => new (args.W.constructor as new (n: number) => F)(n);
  const a = { ...args, dx: args.dx ?? make(T * B * G) };
  const WT = make(G * H);
  for (let m = 0; m < H; m++) for (let j = 0; j < G; j++) WT[j * H + m] = a.W[m * G + j]!;
  const s: BackState<Floats> = { dh: make(B * H), dc: make(B * H), d: cell === 'gru' ? make(T * B * G) : a.dx, WT };
  const step = BACKWARD[cell];
  const probe = a.hNorm || a.cNorm;
  for (let t = T - 1; t >= 0; t--) {
    if (probe) probeNorms(a, s, t);
    step(a, s, t);
    gemmAcc(B, H, G, false, s.d, t * B * G, G, WT, 0, H, s.dh, 0, H);
  }
  a.dh0.set(s.dh);
  a.dc0?.set(s.dc);
  // dW = [h0; s_1..s_{T-1}]^T @ d, summed over every step and row.
  a.dW.fill(0);
  gemmAcc(H, G, B, true, a.h0, 0, H, s.d, 0, G, a.dW, 0, G);
  gemmAcc(H, G, (T - 1) * B, true, a.states, 0, H, s.d, B * G, G, a.dW, 0, G);
  if (a.dbh) columnSums(s.d, T * B, G, a.dbh);
  const p = a.proj;
  if (p) {
    // dU = inp^T dx, db = column sums of dx, dinp = dx U^T
    p.dU.fill(0);
    gemmAcc(p.I, G, T * B, true, p.inp, 0, p.I, a.dx, 0, G, p.dU, 0, G);
    columnSums(a.dx, T * B, G, p.db);
    const UT = make(G * p.I);
    for (let i = 0; i < p.I; i++) for (let j = 0; j < G; j++) UT[j * p.I + i] = p.U[i * G + j]!;
    p.dinp.fill(0);
    gemmAcc(T * B, p.I, G, false, a.dx, 0, G, UT, 0, p.I, p.dinp, 0, p.I);
  }
}

function columnSums(X: Floats, rows: number, N: number, out: Floats): void {
  out.fill(0);
  for (let k = 0; k < rows; k++) for (let j = 0; j < N; j++) out[j]! += X[k * N + j]!;
}

/** The TypeScript kernel saves only the cells' activations (the states are an output). */
export const savedLength = (s: { cell: CellKind; T: number; B: number; H: number }): number => s.T * s.B * AUX_WIDTH[s.cell] * s.H;

export const typescriptKernel: Kernel = { impl: 'typescript', savedLength, forward, backward };
