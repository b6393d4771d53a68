// The gradient-flow probe: while `recordRecurrences` runs a forward pass, every recurrence call
// (one layer, one direction) gets a record; its states are kept, and its backward pass (fused
// kernel or unrolled graph) fills in ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖ for the LSTM) of every batch row.
// Outside a recording nothing is kept and nothing extra is computed.
import * as tf from '@tensorflow/tfjs';
import type { CellKind } from './contract.js';

export interface RecurrenceRecord {
  cell: CellKind;
  T: number;
  B: number;
  H: number;
  /** [T, B, H] the states of the forward pass. */
  states?: Float32Array;
  /** [T, B] norm of the total gradient of the loss w.r.t. h_t of each row (its own loss term
   *  plus everything flowing back from later steps); filled in by the backward pass. */
  hNorm: Float32Array;
  /** [T, B] the same for the LSTM cell state c_t (absent for other cells). */
  cNorm?: Float32Array;
}

let active: RecurrenceRecord[] | null = null;

/** Runs `fn` (a forward pass) and returns the records of its recurrence calls in call order.
 *  The gradient norms arrive when the caller differentiates the pass's result afterwards. */
export function recordRecurrences<R>(fn: () => R): { result: R; records: RecurrenceRecord[] } {
  if (active) throw new Error('recordRecurrences: a recording is already running');
  const records: RecurrenceRecord[] = [];
  active = records;
  try {
    return { result: fn(), records };
  } finally {
    active = null;
  }
}

/** A new record for a recurrence call while recording, else null. */
export function openRecord(shape: Pick<RecurrenceRecord, 'cell' | 'T' | 'B' | 'H'>): RecurrenceRecord | null {
  if (!active) return null;
  const n = shape.T * shape.B;
  const r: RecurrenceRecord = { ...shape, hNorm: new Float32Array(n), cNorm: shape.cell === 'lstm' ? new Float32Array(n) : undefined };
  active.push(r);
  return r;
}

/** Row norms of a [B, H] array, summed in double precision, written to out[at .. at + B). */
export function rowNorms(x: ArrayLike<number>, B: number, H: number, out: Float32Array, at: number): void {
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let j = 0; j < H; j++) s += x[b * H + j]! * x[b * H + j]!;
    out[at + b] = Math.sqrt(s);
  }
}

/** Identity on a [B, H] tensor whose backward pass writes the row norms of the gradient arriving
 *  at it into out[t*B ..]. Applied to a state right after it is computed (before any use), the
 *  gradient arriving is the sum over all its uses: the total ∂L/∂h_t of the unrolled graph. */
export function gradientTap(out: Float32Array, t: number): (x: tf.Tensor2D) => tf.Tensor2D {
  return tf.customGrad((x) => {
    const [B, H] = (x as tf.Tensor2D).shape;
    const gradFunc = (dy: tf.Tensor) => {
      rowNorms(dy.dataSync(), B, H, out, t * B);
      return dy.clone();
    };
    return { value: (x as tf.Tensor).clone(), gradFunc };
  }) as (x: tf.Tensor2D) => tf.Tensor2D;
}
