// The fused softmax cross-entropy readout in tfjs autograd: one tf.customGrad around one kernel
// call that returns the summed loss and, when a gradient tape is recording, the gradients with
// respect to the features, weights and bias, computed in the same pass (the logits are never a
// tensor). Without a tape (evaluation) only the loss is computed.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { withArrays } from './buffers.js';
import { loadNativeKernel, nativeAddon } from './native.js';
import type { ReadoutKernel } from './readout-kernel.js';
import { typescriptReadout } from './readout-typescript.js';

/** Threads of the native readout: IRNN_READOUT_THREADS, else every core. The rows are split, so
 *  results differ between thread counts only by float rounding. */
export function readoutThreads(): number {
  return Number(process.env.IRNN_READOUT_THREADS ?? 0) || availableParallelism();
}

/** The native readout on `threads` threads, or null when the addon is not loaded. */
export function nativeReadout(threads = readoutThreads()): ReadoutKernel | null {
  const a = loadNativeKernel() ? nativeAddon() : null;
  if (!a) return null;
  return {
    impl: 'native',
    xent: (o) => a.readout({ ...o, ...o.grads, weight: o.weight, threads }),
  };
}

/** The readout a model should use: native when the addon loads; the TypeScript loops when
 *  IRNN_KERNEL=typescript asks for them; otherwise null: plain loops would be far slower than
 *  tfjs's own product for a large vocabulary, so models keep the tfjs ops then. */
export function activeReadout(): ReadoutKernel | null {
  return nativeReadout() ?? (process.env.IRNN_KERNEL === 'typescript' ? typescriptReadout : null);
}

export interface XentInput {
  x: tf.Tensor2D; // [N, F] features
  W: tf.Tensor2D; // [F, V]
  c: tf.Tensor1D; // [V]
  y: Int32Array; // [N] class ids
  weight?: Float32Array; // [N] per-row weight (a mask)
  kernel: ReadoutKernel;
}

/** sum_i weight_i * -log softmax(x_i W + c)[y_i] as a scalar, differentiable in x, W and c. */
export function softmaxXentSum(o: XentInput): tf.Scalar {
  const [N, F] = o.x.shape;
  const V = o.W.shape[1];
  if (o.y.length !== N) throw new Error(`softmaxXentSum: ${o.y.length} targets for ${N} rows`);
  // Gradients are computed with the loss (no second pass over the logits), so only when a
  // gradient tape records this op; the flag must be read outside customGrad, where it is off.
  const grad = tf.engine().isTapeOn();
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, W, c, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    let loss = 0;
    const grads = withArrays([x, W, c], grad ? [[N, F], [F, V], [V]] : [], ([X, Wa, ca], [dX, dW, dc]) => {
      loss = o.kernel.xent({ N, F, V, X: X!, W: Wa!, c: ca!, y: o.y, weight: o.weight, grads: grad ? { dX: dX!, dW: dW!, dc: dc! } : undefined });
    });
    if (grad) save(grads);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      if (!grad) throw new Error('softmaxXentSum: no gradient was recorded for this call');
      return saved.map((g) => tf.mul(g, dy));
    };
    return { value: tf.scalar(loss), gradFunc };
  });
  return op(o.x, o.W, o.c) as tf.Scalar;
}
