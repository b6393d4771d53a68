// The trainer: one training step (fresh batch, forward, loss, gradients, global-norm clipping,
// optimizer update) and evaluation through the task. It knows nothing of the store or the CLI;
// `train` (train/run.ts) drives it and records what it reports. Where the fused engine applies, a
// step is one native call (native-step.ts); otherwise, and always for evaluation, tfjs.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import { buildModel, type SequenceModel } from '../models/index.js';
import type { CarryState } from '../models/sequence.js';
import { TASKS } from '../tasks/index.js';
import type { Batch, Predict, Task } from '../tasks/task.js';
import { Rng } from '../util/rng.js';
import { initBackend, type BackendName } from './backend.js';
import { fusedXentSum, lossSum, meanLoss, toTensors } from './loss.js';
import { clipByGlobalNorm, learningRate, OPTIMIZERS, setLearningRate } from './optimizers.js';
import { captureTrainer, restoreTrainer, type DataCursor, type TrainerMeta } from './checkpoint.js';
import { nativeStep } from './native-step.js';
import type { CheckpointTensor } from './checkpoint-file.js';

/** A trainer's state as checkpoint content (see checkpoint.ts). */
export interface TrainerSnapshot {
  meta: TrainerMeta;
  tensors: CheckpointTensor[];
}

export interface Trainer {
  task: Task;
  model: SequenceModel;
  backend: string;
  /** Whether training steps run as one native call (else through tfjs). */
  nativeStep: boolean;
  /** One training step; returns the training loss (NaN or Inf when the run diverged). */
  step(): number;
  /** Metrics of every split the task evaluates. */
  evaluate(): Record<string, number>;
  predict: Predict;
  /** Everything needed to continue exactly from here: weights, optimizer, RNG, data, carried state. */
  saveState(): Promise<TrainerSnapshot>;
  /** Continues from a saved state (a trainer freshly built from the same config). */
  loadState(s: TrainerSnapshot): Promise<void>;
  dispose(): void;
}

function disposeState(s: CarryState | null): void {
  if (s) tf.dispose([...s.h, ...s.c]);
}

/** `nativeStep: false` (or IRNN_STEP=tfjs in the environment) keeps every step on the tfjs path. */
export async function createTrainer(opts: { cfg: Config; cacheDir?: string; nativeStep?: boolean }): Promise<Trainer> {
  const { cfg } = opts;
  const backend = await initBackend(cfg.backend as BackendName);
  const task = await TASKS[cfg.task.name as keyof typeof TASKS](cfg.task, {
    seed: cfg.seed,
    cacheDir: opts.cacheDir ?? 'results/cache',
  });
  const model = buildModel({ config: cfg, task });
  const optimizer = OPTIMIZERS[cfg.optimizer.name as keyof typeof OPTIMIZERS](cfg.optimizer);
  const rng = new Rng(cfg.seed, 'train-batches');
  const vars = model.variables;
  let trainState: CarryState | null = null;
  let evalState: CarryState | null = null;
  const cursor: DataCursor = { batches: 0, before: null, last: null };
  const native = (opts.nativeStep ?? process.env.IRNN_STEP !== 'tfjs') ? nativeStep({ task, model, optimizer, clip: cfg.optimizer.clip }) : null;

  const step = (): number => {
    // the schedule's step is the number of batches drawn so far, which a checkpoint restores
    setLearningRate(optimizer, learningRate(cfg.optimizer, cursor.batches));
    cursor.before = rng.getState();
    const batch = task.trainBatch(cfg.train.batch_size, rng);
    cursor.batches++;
    cursor.last = batch;
    const fast = native?.run(batch, trainState) ?? null;
    if (fast) {
      if (task.carryState) {
        disposeState(trainState);
        trainState = fast.carry;
      }
      return fast.loss;
    }
    let next: CarryState | null = null;
    const loss = tf.tidy(() => {
      const t = toTensors(task, batch);
      const { value, grads } = tf.variableGrads(() => {
        const opts = { lengths: batch.lengths, state: trainState ?? undefined, keepState: task.carryState };
        const fused = fusedXentSum({ task, model, x: t.x, batch, opts });
        if (fused) {
          next = fused.state;
          return tf.div(fused.sum, fused.count) as tf.Scalar;
        }
        const r = model.forward(t.x, opts);
        next = r.state;
        return meanLoss(task, r.out, t);
      }, vars);
      const clipped = clipByGlobalNorm(grads, cfg.optimizer.clip);
      // The typings ask for a variable map; tfjs applies any name -> gradient map (names = variable names).
      optimizer.applyGradients(clipped.grads as never);
      return value.dataSync()[0]!;
    });
    // Truncated BPTT: the carried state is a constant for the next step (no gradient flows back).
    if (task.carryState) {
      disposeState(trainState);
      trainState = next;
    }
    return loss;
  };

  const predict: Predict = (batch: Batch, o = {}) => {
    let next: CarryState | null = null;
    const start = o.carry ? evalState : null;
    // Tensors leave the tidy and are read after it: a typed array returned from tf.tidy would be
    // walked element by element in search of tensors (seconds for a large softmax).
    const t3 = tf.tidy(() => {
      const t = toTensors(task, batch);
      const opts = { lengths: batch.lengths, state: start ?? undefined, keepState: task.carryState };
      // Loss only: the fused readout, without logits or a softmax.
      const fused = o.outputs === false ? fusedXentSum({ task, model, x: t.x, batch, opts }) : null;
      if (fused) {
        next = fused.state;
        return { out: tf.zeros([0]), sum: fused.sum, count: tf.scalar(fused.count) };
      }
      const f = model.forward(t.x, opts);
      next = f.state;
      const { sum, count } = lossSum(task, f.out, t);
      const out = o.outputs === false ? tf.zeros([0]) : task.objective === 'xent' ? tf.softmax(f.out) : f.out;
      return { out, sum, count };
    });
    const r = {
      out: t3.out.dataSync() as Float32Array,
      lossSum: t3.sum.dataSync()[0]!,
      count: t3.count.dataSync()[0]!,
    };
    tf.dispose([t3.out, t3.sum, t3.count]);
    // Without `carry` a window starts from zeros; its final state is kept for a following carry.
    disposeState(evalState);
    evalState = next;
    return r;
  };

  const evaluate = (): Record<string, number> => {
    const valid = task.evaluate('valid', predict);
    const test = task.evaluate('test', predict);
    disposeState(evalState);
    evalState = null;
    return { ...valid, ...test };
  };

  return {
    task,
    model,
    backend,
    nativeStep: native !== null,
    step,
    evaluate,
    predict,
    saveState: () => captureTrainer({ variables: vars, optimizer, rng, carry: trainState, cursor }),
    async loadState(saved) {
      const r = await restoreTrainer({ variables: vars, optimizer, rng, task, batchSize: cfg.train.batch_size }, saved);
      disposeState(trainState);
      trainState = r.carry;
      Object.assign(cursor, r.cursor);
    },
    dispose() {
      disposeState(trainState);
      disposeState(evalState);
      optimizer.dispose();
      model.dispose();
    },
  };
}
