// The contract between the models and the recurrence engines: cell kinds, engines, gate counts,
// and the one call over a whole sequence that an engine implements. Models and the config import
// it; it imports nothing at run time (tfjs types only), so checking a config loads no tensors.
import type * as tf from '@tensorflow/tfjs';
import type { RecurrenceRecord } from './probe.js';

export const CELLS = ['rnn_relu', 'rnn_tanh', 'lstm', 'gru'] as const;
export type CellKind = (typeof CELLS)[number];

export const ENGINES = ['auto', 'fused', 'unrolled'] as const;
export type Engine = (typeof ENGINES)[number];

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
