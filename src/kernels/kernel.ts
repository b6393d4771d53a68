// The contract every fused-recurrence kernel meets (native addon or TypeScript): forward and
// backward through time over caller-allocated flat buffers, time-major rows [T, B, ...], and a
// saved buffer (`aux`) that forward fills and backward reads, in the kernel's own layout.
// Buffers only: tensors and autograd live in fused.ts.
import type { CellKind } from './contract.js';

export type Floats = Float32Array | Float64Array;

/** The TypeScript kernel's saved activations per (t, b) row, in units of H: lstm [i f g o c tanh(c)],
 *  gru [r z n hW_n+bh_n] (the native kernel has its own layout: `Kernel.savedLength`). */
export const AUX_WIDTH: Record<CellKind, number> = { rnn_relu: 0, rnn_tanh: 0, lstm: 6, gru: 4 };

export interface KernelShape {
  cell: CellKind;
  T: number;
  B: number;
  H: number;
}

/** The input projection, done by the kernel as well: x = inp @ U + b (the native kernel inside its
 *  time loop, the TypeScript one as one product before it). */
export interface Projection<F extends Floats = Float32Array> {
  I: number;
  inp: F; // [T, B, I]
  U: F; // [I, G*H]
  b: F; // [G*H]
}

export interface ForwardArgs<F extends Floats = Float32Array> extends KernelShape {
  /** [T, B, G*H] ready input projections, when `proj` is absent (tests); else unused. */
  x?: F;
  proj?: Projection<F>;
  W: F; // [H, G*H]
  bh?: F; // [G*H] gru: required
  h0: F; // [B, H]
  c0?: F; // [B, H] lstm: required
  states: F; // out [T, B, H]
  aux: F; // out: savedLength floats, the kernel's own layout
  cT?: F; // out [B, H] lstm: required
}

export interface BackwardArgs<F extends Floats = Float32Array> extends KernelShape {
  W: F;
  h0: F;
  c0?: F; // lstm: required
  states: F; // from forward
  aux: F; // from forward
  dstates: F; // [T, B, H] loss gradient w.r.t. every state
  dx?: F; // out [T, B, G*H] gradient w.r.t. the ready projections x (without `proj`)
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
  /** Floats of the buffer (`aux`) a forward pass of this shape saves for the backward pass. */
  savedLength(s: KernelShape): number;
  forward(a: ForwardArgs): void;
  backward(a: BackwardArgs): void;
}
