// The contract every fused-recurrence kernel meets (native addon or TypeScript): forward and
// backward through time over caller-allocated flat buffers, time-major rows [T, B, ...].
// Buffers only: tensors and autograd live in fused.ts.
import type { CellKind } from './contract.js';

export type Floats = Float32Array | Float64Array;

/** Saved activations per (t, b) row, in units of H: lstm [i f g o c tanh(c)], gru [r z n hW_n+bh_n]. */
export const AUX_WIDTH: Record<CellKind, number> = { rnn_relu: 0, rnn_tanh: 0, lstm: 6, gru: 4 };

export interface KernelShape {
  cell: CellKind;
  T: number;
  B: number;
  H: number;
}

/** The input projection, when the kernel does it as well: x = inp @ U + b for all T*B rows in
 *  one product before the time loop; x is then scratch that the kernel fills. */
export interface Projection<F extends Floats = Float32Array> {
  I: number;
  inp: F; // [T, B, I]
  U: F; // [I, G*H]
  b: F; // [G*H]
}

export interface ForwardArgs<F extends Floats = Float32Array> extends KernelShape {
  x: F; // [T, B, G*H] input projections (written first when `proj` is given)
  proj?: Projection<F>;
  W: F; // [H, G*H]
  bh?: F; // [G*H] gru: required
  h0: F; // [B, H]
  c0?: F; // [B, H] lstm: required
  states: F; // out [T, B, H]
  aux: F; // out [T, B, AUX_WIDTH*H]
  cT?: F; // out [B, H] lstm: required
}

export interface BackwardArgs<F extends Floats = Float32Array> extends KernelShape {
  W: F;
  h0: F;
  c0?: F; // lstm: required
  states: F; // from forward
  aux: F; // from forward
  dstates: F; // [T, B, H] loss gradient w.r.t. every state
  dx: F; // out [T, B, G*H]
  dW: F; // out [H, G*H]
  dbh?: F; // out [G*H] gru: required
  dh0: F; // out [B, H]
  dc0?: F; // out [B, H] lstm: required
  /** Optional probe for the gradient-flow diagnostics: ‖∂L/∂h_t‖ of every batch row, the total
   *  derivative (the loss gradient of step t plus all that flows back from later steps), and
   *  for the LSTM ‖∂L/∂c_t‖. Sums of squares in double precision, so tiny norms survive. */
  hNorm?: F; // out [T, B]
  cNorm?: F; // out [T, B] lstm only
  proj?: Omit<Projection<F>, 'b'> & {
    dinp: F; // out [T, B, I]
    dU: F; // out [I, G*H]
    db: F; // out [G*H]
  };
}

export interface Kernel {
  impl: 'native' | 'typescript';
  forward(a: ForwardArgs): void;
  backward(a: BackwardArgs): void;
}
