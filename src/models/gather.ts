// Row gather with a sparse gradient that works on every backend (tf.gather's gradient needs the
// UnsortedSegmentSum kernel, which the wasm backend lacks). Forward copies the picked rows; the
// backward pass zero-fills [N, F] and scatter-adds only the incoming rows, in plain loops over
// arrays that (on wasm) are the tensors' own memory: the embedding lookup of a language model.
import * as tf from '@tensorflow/tfjs';
import { withArrays } from '../kernels/buffers.js';

/** out[i, :] = x[idx[i], :]. x: [N, F]; returns [idx.length, F]. */
export function gatherRows(x: tf.Tensor2D, idx: Int32Array): tf.Tensor2D {
  const [N, F] = x.shape;
  for (const i of idx) if (!(i >= 0 && i < N)) throw new Error(`gatherRows: row ${i} is outside 0..${N - 1}`);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [value] = withArrays([args[0] as tf.Tensor], [[idx.length, F]], ([xs], [out]) => {
      for (let i = 0; i < idx.length; i++) out!.set(xs!.subarray(idx[i]! * F, (idx[i]! + 1) * F), i * F);
    });
    const gradFunc = (dy: tf.Tensor) => {
      const [g] = withArrays([dy], [[N, F]], ([d], [out]) => {
        out!.fill(0);
        for (let i = 0; i < idx.length; i++) {
          const dst = idx[i]! * F;
          const src = i * F;
          for (let k = 0; k < F; k++) out![dst + k]! += d![src + k]!;
        }
      });
      return g!;
    };
    return { value: value!, gradFunc };
  });
  return op(x) as tf.Tensor2D;
}
