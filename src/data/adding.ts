// Adding-problem data (Hochreiter & Schmidhuber 1997, as set up by Le et al. 2015, section 4.1).
// Each step has two inputs: a value from U[0,1] and a marker. Exactly two markers are 1: one at a
// uniformly random position in the first half, one in the second half. Target: the sum of the two
// marked values. Example with T = 4: values [.2 .9 .4 .7], markers [0 1 1 0] -> target 1.3.
import type { Rng } from '../util/rng.js';

export interface AddingData {
  /** [N, T, 2]: (value, marker) per step. */
  x: Float32Array;
  /** [N, 1]: the sum of the two marked values. */
  y: Float32Array;
  n: number;
  seqLen: number;
}

export function addingBatch(opts: { n: number; seqLen: number; rng: Rng }): AddingData {
  const { n, seqLen: T, rng } = opts;
  const x = new Float32Array(n * T * 2);
  const y = new Float32Array(n);
  const half = Math.floor(T / 2);
  for (let b = 0; b < n; b++) {
    const base = b * T * 2;
    for (let t = 0; t < T; t++) x[base + 2 * t] = rng.uniform();
    const first = rng.int(half);
    const second = half + rng.int(T - half);
    x[base + 2 * first + 1] = 1;
    x[base + 2 * second + 1] = 1;
    // Sum the values as stored (float32), so the target is exactly what the inputs say.
    y[b] = x[base + 2 * first]! + x[base + 2 * second]!;
  }
  return { x, y, n, seqLen: T };
}

/** The expected MSE of always predicting 1: Var(U1 + U2) = 2 / 12. */
export const ADDING_BASELINE_MSE = 1 / 6;
