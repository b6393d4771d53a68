// The seam between models and kernels: the recurrence of ONE layer in ONE direction over the
// WHOLE sequence, in one call. Models never loop over time themselves; they call `recurrence`.
// The engine also does the input projection (x_t U + b for all timesteps as one product).
// Engines: `unrolled` (tfjs ops per step, the reference) and `fused` (one kernel call for the
// whole sequence, src/kernels/fused.ts).
import * as tf from '@tensorflow/tfjs';
import { fusedRecurrence } from '../kernels/fused.js';
import { gradientTap, openRecord, type RecurrenceRecord } from '../kernels/probe.js';

export type CellKind = 'rnn_relu' | 'rnn_tanh' | 'lstm' | 'gru';
export type Engine = 'auto' | 'fused' | 'unrolled';

/** Number of gate blocks per cell: the projections have G*H columns. */
export const GATES: Record<CellKind, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };

export interface RecurrenceInput {
  cell: CellKind;
  /** The layer's input and projection weights; x_t U + b has gate blocks in order
   *  rnn: [a]; lstm: [i, f, g, o]; gru: [r, z, n]. The fused engine does the projection (one
   *  product before the time loop) and its gradients inside the kernel, which saves a
   *  [T, B, G*H] tensor, two matrix products and a column sum per step in tfjs. */
  input: {
    x: tf.Tensor3D; // [T, B, I]
    U: tf.Tensor2D; // [I, G*H]
    b: tf.Tensor1D; // [G*H]
  };
  /** [H, G*H] recurrent weights; the pre-activation adds h_{t-1} @ W. */
  W: tf.Tensor2D;
  /** [G*H] recurrent bias, GRU only (n = tanh(x_n + r * (h W_n + bh_n))); absent for others. */
  bh?: tf.Tensor1D;
  /** [B, H] initial state (zeros at the start of a sequence, carried state in truncated BPTT). */
  h0: tf.Tensor2D;
  /** [B, H] initial LSTM cell state. */
  c0?: tf.Tensor2D;
  engine: Exclude<Engine, 'auto'>;
  /** Set by `recurrence` while the gradient-flow probe records (src/kernels/probe.ts): the
   *  engine's backward pass writes the per-step gradient norms into it. */
  record?: RecurrenceRecord;
}

export interface RecurrenceOutput {
  /** [T, B, H] hidden states s_1..s_T (for the LSTM: h_t). */
  states: tf.Tensor3D;
  /** [B, H] final LSTM cell state, for carrying state across truncated-BPTT windows. No gradient. */
  cT?: tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------
// Engines. `unrolled` is the reference: plain tfjs ops per timestep, differentiated by tfjs.
// `fused` hands the whole sequence to a kernel (src/kernels) wrapped in tf.customGrad.

/** `auto` means fused: a fused kernel (native or TypeScript) is always available. */
export function resolveEngine(e: Engine): 'fused' | 'unrolled' {
  return e === 'unrolled' ? 'unrolled' : 'fused';
}

interface StepState {
  h: tf.Tensor2D; // [B, H]
  c?: tf.Tensor2D; // [B, H] lstm
}
/** `tapC` (the probe, LSTM only) wraps c_t before h_t = o * tanh(c_t) reads it, so that the
 *  gradient it sees includes the path through h_t. */
type CellStep = (x: tf.Tensor2D, s: StepState, W: tf.Tensor2D, bh?: tf.Tensor1D, tapC?: (c: tf.Tensor2D) => tf.Tensor2D) => StepState;

const rnnStep = (act: (z: tf.Tensor2D) => tf.Tensor2D): CellStep => (x, s, W) => ({
  h: act(tf.add(x, tf.matMul(s.h, W))),
});

const STEPS: Record<CellKind, CellStep> = {
  rnn_relu: rnnStep((z) => tf.relu(z)),
  rnn_tanh: rnnStep((z) => tf.tanh(z)),
  lstm: (x, s, W, _bh, tapC = (c) => c) => {
    const [i, f, g, o] = tf.split(tf.add(x, tf.matMul(s.h, W)), 4, 1) as tf.Tensor2D[];
    const c = tapC(tf.add(tf.mul(tf.sigmoid(f!), s.c!), tf.mul(tf.sigmoid(i!), tf.tanh(g!))) as tf.Tensor2D);
    return { h: tf.mul(tf.sigmoid(o!), tf.tanh(c)), c };
  },
  gru: (x, s, W, bh) => {
    const hw = bh ? tf.add(tf.matMul(s.h, W), bh) : tf.matMul(s.h, W); // [B, 3H]
    const [xr, xz, xn] = tf.split(x, 3, 1) as tf.Tensor2D[];
    const [hr, hz, hn] = tf.split(hw, 3, 1) as tf.Tensor2D[];
    const r = tf.sigmoid(tf.add(xr!, hr!));
    const z = tf.sigmoid(tf.add(xz!, hz!));
    const n = tf.tanh(tf.add(xn!, tf.mul(r, hn!)));
    return { h: tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, s.h)) };
  },
};

function unrolled(input: RecurrenceInput): RecurrenceOutput {
  return tf.tidy(() => {
    const step = STEPS[input.cell];
    let s: StepState = { h: input.h0, c: input.cell === 'lstm' ? (input.c0 ?? tf.zerosLike(input.h0)) : undefined };
    const hs: tf.Tensor2D[] = [];
    const rec = input.record;
    const xs = tf.unstack(projectInput(input.input)) as tf.Tensor2D[];
    xs.forEach((x, t) => {
      s = step(x, s, input.W, input.bh, rec?.cNorm && gradientTap(rec.cNorm, t));
      // The probe's tap goes on h_t before its two uses (the next step and the output).
      if (rec) s = { ...s, h: gradientTap(rec.hNorm, t)(s.h) };
      hs.push(s.h);
    });
    return { states: tf.stack(hs) as tf.Tensor3D, cT: s.c };
  });
}

const ENGINES: Record<Exclude<Engine, 'auto'>, (input: RecurrenceInput) => RecurrenceOutput> = {
  fused: fusedRecurrence,
  unrolled,
};

/** The recurrence of one layer in one direction over the whole sequence (see RecurrenceInput). */
export function recurrence(input: RecurrenceInput): RecurrenceOutput {
  const [T, B] = input.input.x.shape;
  const record = openRecord({ cell: input.cell, T, B, H: input.W.shape[0] });
  if (!record) return ENGINES[input.engine](input);
  const out = ENGINES[input.engine]({ ...input, record });
  record.states = Float32Array.from(out.states.dataSync());
  return out;
}

/** x [T, B, I] @ U [I, G*H] + b as one product over all T*B rows: [T, B, G*H]. */
function projectInput(p: RecurrenceInput['input']): tf.Tensor3D {
  return tf.tidy(() => {
    const [T, B, I] = p.x.shape;
    const flat = tf.add(tf.matMul(tf.reshape(p.x, [T * B, I]), p.U), p.b);
    return tf.reshape(flat, [T, B, -1]) as tf.Tensor3D;
  });
}
