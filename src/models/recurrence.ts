// The seam between models and kernels: the recurrence of ONE layer in ONE direction over the
// WHOLE sequence, in one call. Models never loop over time themselves; they call `recurrence`.
// The engine also does the input projection (x_t U + b for all timesteps as one product).
// Engines: `unrolled` (tfjs ops per step, the reference) and `fused` (one kernel call for the
// whole sequence, src/kernels/fused.ts).
import * as tf from '@tensorflow/tfjs';
import { fusedRecurrence } from '../kernels/fused.js';
import { gradientTap, openRecord } from '../kernels/probe.js';
// The contract (cell kinds, gate counts, the recurrence's input and output) lives with the kernels.
import { GATES, type CellKind, type Engine, type RecurrenceInput, type RecurrenceOutput } from '../kernels/contract.js';
export { GATES, type CellKind, type Engine, type RecurrenceInput, type RecurrenceOutput };

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
