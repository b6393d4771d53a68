// Row gather with a gradient that works on every backend. tf.gather's gradient needs the
// UnsortedSegmentSum kernel, which the wasm backend lacks; here the backward pass scatter-adds
// the incoming gradient rows in plain loops (cheap: one pass over [N, F]).
import * as tf from '@tensorflow/tfjs';

/** out[i, :] = x[idx[i], :]. x: [N, F]; returns [idx.length, F]. */
export function gatherRows(x: tf.Tensor2D, idx: Int32Array): tf.Tensor2D {
  const [N, F] = x.shape;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args[0] as tf.Tensor;
    const value = tf.tidy(() => tf.gather(xs, tf.tensor1d(idx, 'int32')));
    const gradFunc = (dy: tf.Tensor) => {
      const d = dy.dataSync() as Float32Array;
      const out = new Float32Array(N * F);
      for (let i = 0; i < idx.length; i++) {
        const dst = idx[i]! * F;
        const src = i * F;
        for (let k = 0; k < F; k++) out[dst + k]! += d[src + k]!;
      }
      return tf.tensor2d(out, [N, F]);
    };
    return { value, gradFunc };
  });
  return op(x) as tf.Tensor2D;
}
