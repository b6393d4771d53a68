// Losses on model outputs: mean squared error and softmax cross-entropy, both masked for padded
// many-to-many batches. Returns the per-target loss summed and the number of targets, so the
// training loss (their ratio) and evaluation sums share one definition.
import * as tf from '@tensorflow/tfjs';
import type { SequenceModel } from '../models/index.js';
import type { CarryState, ForwardOptions } from '../models/sequence.js';
import type { Batch, Task } from '../tasks/task.js';

export interface BatchTensors {
  x: tf.Tensor;
  y: tf.Tensor;
  mask?: tf.Tensor; // [B, T]
}

/** Copies a batch's arrays into tensors (the caller disposes them, or calls this inside tf.tidy). */
export function toTensors(task: Task, b: Batch): BatchTensors {
  const B = b.batchSize;
  const T = b.seqLen;
  const x = task.input.kind === 'tokens'
    ? tf.tensor2d(b.x as Int32Array, [B, T], 'int32')
    : tf.tensor3d(b.x as Float32Array, [B, T, task.input.size]);
  let y: tf.Tensor;
  if (task.objective === 'xent') {
    y = task.mode === 'many-to-one' ? tf.tensor1d(b.y as Int32Array, 'int32') : tf.tensor2d(b.y as Int32Array, [B, T], 'int32');
  } else {
    y = task.mode === 'many-to-one' ? tf.tensor2d(b.y as Float32Array, [B, task.outputSize]) : tf.tensor3d(b.y as Float32Array, [B, T, task.outputSize]);
  }
  return { x, y, mask: b.mask ? tf.tensor2d(b.mask, [B, T]) : undefined };
}

/** Per-target loss: [B] or [B, T]; squared error is summed over output units. */
function perTarget(task: Task, out: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (task.objective === 'mse') return tf.sum(tf.square(tf.sub(out, y)), -1);
  const logp = tf.logSoftmax(out);
  const onehot = tf.oneHot(y as tf.Tensor1D, task.outputSize);
  return tf.neg(tf.sum(tf.mul(logp, onehot), -1));
}

/** { sum, count } of the per-target loss over real targets, as scalars. */
export function lossSum(task: Task, out: tf.Tensor, t: BatchTensors): { sum: tf.Scalar; count: tf.Scalar } {
  return tf.tidy(() => {
    const l = perTarget(task, out, t.y);
    if (!t.mask) return { sum: tf.sum(l) as tf.Scalar, count: tf.scalar(l.size * (task.objective === 'mse' ? task.outputSize : 1)) };
    return { sum: tf.sum(tf.mul(l, t.mask)) as tf.Scalar, count: tf.mul(tf.sum(t.mask), task.objective === 'mse' ? task.outputSize : 1) as tf.Scalar };
  });
}

/** The training objective: mean loss per real target (per output unit for mse). */
export function meanLoss(task: Task, out: tf.Tensor, t: BatchTensors): tf.Scalar {
  return tf.tidy(() => {
    // Unmasked mse is the plain mean of squared differences: the same value in two ops instead
    // of six, which matters when a fused recurrence leaves op dispatch as the step's main cost.
    if (task.objective === 'mse' && !t.mask) return tf.mean(tf.squaredDifference(out, t.y)) as tf.Scalar;
    const { sum, count } = lossSum(task, out, t);
    return tf.div(sum, count) as tf.Scalar;
  });
}

/** The summed cross-entropy of a batch through the model's fused readout (the logits are never a
 *  tensor; src/kernels/readout.ts), for many-to-many class targets; null when the task or the
 *  model has no such path (then: model.forward and lossSum). `count` = targets counted. */
export function fusedXentSum(o: { task: Task; model: SequenceModel; x: tf.Tensor; batch: Batch; opts: ForwardOptions }):
  { sum: tf.Scalar; count: number; state: CarryState } | null {
  if (o.task.objective !== 'xent' || !o.model.fusedReadout) return null;
  const { batch } = o;
  const { sum, state } = o.model.xentSum(o.x, batch.y as Int32Array, { ...o.opts, mask: batch.mask });
  const count = batch.mask ? batch.mask.reduce((a, m) => a + m, 0) : batch.y.length;
  return { sum, count, state };
}
