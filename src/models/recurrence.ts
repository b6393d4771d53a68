// The seam between models and kernels: the recurrence of ONE layer in ONE direction over the
// WHOLE sequence, in one call. Models never loop over time themselves; they call `recurrence`.
// Input projections (U x_t + b) are computed by the caller for all timesteps at once.
import type * as tfType from '@tensorflow/tfjs';

export type CellKind = 'rnn_relu' | 'rnn_tanh' | 'lstm' | 'gru';
export type Engine = 'auto' | 'fused' | 'unrolled';

/** Number of gate blocks per cell: the projections have G*H columns. */
export const GATES: Record<CellKind, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };

export interface RecurrenceInput {
  cell: CellKind;
  /** [T, B, G*H] time-major input projection U x_t + b, gate blocks in order:
   *  rnn: [a]; lstm: [i, f, g, o]; gru: [r, z, n]. */
  xProj: tfType.Tensor3D;
  /** [H, G*H] recurrent weights; the pre-activation adds h_{t-1} @ W. */
  W: tfType.Tensor2D;
  /** [G*H] recurrent bias, GRU only (n = tanh(x_n + r * (h W_n + bh_n))); absent for others. */
  bh?: tfType.Tensor1D;
  /** [B, H] initial state (zeros at the start of a sequence, carried state in truncated BPTT). */
  h0: tfType.Tensor2D;
  /** [B, H] initial LSTM cell state. */
  c0?: tfType.Tensor2D;
  engine: Exclude<Engine, 'auto'>;
}

export interface RecurrenceOutput {
  /** [T, B, H] hidden states s_1..s_T (for the LSTM: h_t). */
  states: tfType.Tensor3D;
  /** [B, H] final LSTM cell state, for carrying state across truncated-BPTT windows. No gradient. */
  cT?: tfType.Tensor2D;
}
