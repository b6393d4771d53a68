// The seam between models and kernels: the recurrence of ONE layer in ONE direction over the
// WHOLE sequence, in one call. Models never loop over time themselves; they call `recurrence`.
// Input projections (U x_t + b) are computed by the caller for all timesteps at once.
// Two engines: `unrolled` (tfjs ops per step, the reference) and `fused` (one kernel call).
import * as tf from '@tensorflow/tfjs';
import { activeKernel, AUX_WIDTH } from '../kernels/index.js';

export type CellKind = 'rnn_relu' | 'rnn_tanh' | 'lstm' | 'gru';
export type Engine = 'auto' | 'fused' | 'unrolled';

/** Number of gate blocks per cell: the projections have G*H columns. */
export const GATES: Record<CellKind, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };

export interface RecurrenceInput {
  cell: CellKind;
  /** [T, B, G*H] time-major input projection U x_t + b, gate blocks in order:
   *  rnn: [a]; lstm: [i, f, g, o]; gru: [r, z, n]. */
  xProj: tf.Tensor3D;
  /** [H, G*H] recurrent weights; the pre-activation adds h_{t-1} @ W. */
  W: tf.Tensor2D;
  /** [G*H] recurrent bias, GRU only (n = tanh(x_n + r * (h W_n + bh_n))); absent for others. */
  bh?: tf.Tensor1D;
  /** [B, H] initial state (zeros at the start of a sequence, carried state in truncated BPTT). */
  h0: tf.Tensor2D;
  /** [B, H] initial LSTM cell state. */
  c0?: tf.Tensor2D;
  engine: Exclude<Engine, 'auto'>;
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

/** Which implementation the fused engine runs in this process. */
export function kernelInfo(): { impl: 'native' | 'typescript' } {
  return { impl: activeKernel().impl };
}

interface StepState {
  h: tf.Tensor2D; // [B, H]
  c?: tf.Tensor2D; // [B, H] lstm
}
type CellStep = (x: tf.Tensor2D, s: StepState, W: tf.Tensor2D, bh?: tf.Tensor1D) => StepState;

const rnnStep = (act: (z: tf.Tensor2D) => tf.Tensor2D): CellStep => (x, s, W) => ({
  h: act(tf.add(x, tf.matMul(s.h, W))),
});

const STEPS: Record<CellKind, CellStep> = {
  rnn_relu: rnnStep((z) => tf.relu(z)),
  rnn_tanh: rnnStep((z) => tf.tanh(z)),
  lstm: (x, s, W) => {
    const [i, f, g, o] = tf.split(tf.add(x, tf.matMul(s.h, W)), 4, 1) as tf.Tensor2D[];
    const c = tf.add(tf.mul(tf.sigmoid(f!), s.c!), tf.mul(tf.sigmoid(i!), tf.tanh(g!))) as tf.Tensor2D;
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
    for (const x of tf.unstack(input.xProj) as tf.Tensor2D[]) {
      s = step(x, s, input.W, input.bh);
      hs.push(s.h);
    }
    return { states: tf.stack(hs) as tf.Tensor3D, cT: s.c };
  });
}

function fused(input: RecurrenceInput): RecurrenceOutput {
  const { cell, xProj, W, h0 } = input;
  const [T, B, GH] = xProj.shape;
  const H = W.shape[0];
  const kernel = activeKernel();
  // Optional inputs join the differentiated list only when given; absent ones are zeros.
  const optional = { bh: cell === 'gru' ? input.bh : undefined, c0: cell === 'lstm' ? input.c0 : undefined };
  const inputs: tf.Tensor[] = [xProj, W, h0];
  if (optional.bh) inputs.push(optional.bh);
  if (optional.c0) inputs.push(optional.c0);
  const read = (t: tf.Tensor) => t.dataSync() as Float32Array; // wasm: one copy out of its heap
  let cT: Float32Array | undefined;

  const run = tf.customGrad((...args) => {
    const [x, w, h] = (args.slice(0, 3) as tf.Tensor[]).map(read) as [Float32Array, Float32Array, Float32Array];
    const bh = optional.bh ? read(optional.bh) : cell === 'gru' ? new Float32Array(GH) : undefined;
    const c0 = optional.c0 ? read(optional.c0) : cell === 'lstm' ? new Float32Array(B * H) : undefined;
    const states = new Float32Array(T * B * H);
    const aux = new Float32Array(T * B * AUX_WIDTH[cell] * H);
    cT = cell === 'lstm' ? new Float32Array(B * H) : undefined;
    kernel.forward({ cell, T, B, H, x, W: w, bh, h0: h, c0, states, aux, cT });

    const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
      const g = {
        dx: new Float32Array(T * B * GH),
        dW: new Float32Array(H * GH),
        dbh: cell === 'gru' ? new Float32Array(GH) : undefined,
        dh0: new Float32Array(B * H),
        dc0: c0 ? new Float32Array(B * H) : undefined,
      };
      kernel.backward({ cell, T, B, H, W: w, h0: h, c0, states, aux, dstates: read(dy), ...g });
      const grads: tf.Tensor[] = [tf.tensor3d(g.dx, [T, B, GH]), tf.tensor2d(g.dW, [H, GH]), tf.tensor2d(g.dh0, [B, H])];
      if (optional.bh) grads.push(tf.tensor1d(g.dbh!));
      if (optional.c0) grads.push(tf.tensor2d(g.dc0!, [B, H]));
      return grads;
    };
    return { value: tf.tensor3d(states, [T, B, H]), gradFunc };
  });

  const states = run(...inputs) as tf.Tensor3D;
  return { states, cT: cT && tf.tensor2d(cT, [B, H]) };
}

const ENGINES: Record<Exclude<Engine, 'auto'>, (input: RecurrenceInput) => RecurrenceOutput> = { fused, unrolled };

/** The recurrence of one layer in one direction over the whole sequence (see RecurrenceInput). */
export function recurrence(input: RecurrenceInput): RecurrenceOutput {
  return ENGINES[input.engine](input);
}
