// a @ b with a gradient that transposes explicitly. tfjs's own MatMul gradient multiplies with
// transposeA / transposeB flags, which the wasm backend runs about ten times slower than a
// transpose followed by a plain product (e.g. 700 ms vs 75 ms for a [560, 10000] softmax readout).
import * as tf from '@tensorflow/tfjs';

/** [M, K] @ [K, N] -> [M, N]. */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x, w]); // kept for the backward pass (the forward scope may dispose its inputs)
    const value = tf.matMul(x, w);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)), // d/da = dy @ b^T
        tf.matMul(tf.transpose(xs), dy as tf.Tensor2D), // d/db = a^T @ dy
      ];
    };
    return { value, gradFunc };
  });
  return op(a, b) as tf.Tensor2D;
}
