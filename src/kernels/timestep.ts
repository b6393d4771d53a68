// One timestep of a time-major sequence as its own tensor, with a gradient, copying only that
// step: on the wasm backend tf.slice first reads the WHOLE input out of the heap (5 MB for
// T = 784, B = 16, H = 100), which costs more than an IRNN's fused recurrence.
import * as tf from '@tensorflow/tfjs';
import { withArrays } from './buffers.js';

/** x[t] as [B, F] for x [T, B, F]; the gradient is zero except at step t. */
export function timeStep(x: tf.Tensor3D, t: number): tf.Tensor2D {
  const [T, B, F] = x.shape;
  if (!Number.isInteger(t) || t < 0 || t >= T) throw new Error(`timeStep: step ${t} is outside 0..${T - 1}`);
  const n = B * F;
  const pick = tf.customGrad((input) => {
    const [value] = withArrays([input as tf.Tensor], [[B, F]], ([xs], [out]) => out!.set(xs!.subarray(t * n, (t + 1) * n)));
    const gradFunc = (dy: tf.Tensor) =>
      withArrays([dy], [[T, B, F]], ([d], [g]) => {
        g!.fill(0);
        g!.set(d!, t * n);
      });
    return { value: value!, gradFunc };
  });
  return pick(x) as tf.Tensor2D;
}
