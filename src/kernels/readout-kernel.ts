// The contract of the fused softmax cross-entropy readout (native addon or TypeScript): from
// features X [N, F], weights W [F, V], bias c [V] and class ids y [N], the summed loss
// sum_i weight_i * (logsumexp(X_i W + c) - (X_i W + c)[y_i]) and, when asked, its gradients.
// Buffers only: tensors and autograd live in readout.ts.
import type { Floats } from './kernel.js';

export interface ReadoutArgs<F extends Floats = Float32Array> {
  N: number;
  F: number;
  V: number;
  X: F; // [N, F]
  W: F; // [F, V]
  c: F; // [V]
  y: Int32Array; // [N] class ids in 0..V-1
  weight?: F; // [N] per-row weight (a mask); absent = 1
  /** Outputs: the gradients of the summed loss. Absent = loss only (evaluation). */
  grads?: { dX: F; dW: F; dc: F };
}

export interface ReadoutKernel {
  impl: 'native' | 'typescript';
  /** The summed (weighted) loss; fills `grads` when given. */
  xent(a: ReadoutArgs): number;
}
