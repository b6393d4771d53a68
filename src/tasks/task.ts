// The Task contract: a task owns its data, its objective and its metrics, and nothing else.
// Tasks hand out batches as plain typed arrays; the trainer turns them into tensors, runs the
// model and the loss, and asks the task to turn predictions into metrics. A task never touches
// the store, the CLI or the optimizer.
import type { Rng } from '../util/rng.js';

export type Mode = 'many-to-one' | 'many-to-many';

/** One batch. Arrays are row-major; B = batch size, T = sequence length. */
export interface Batch {
  batchSize: number;
  seqLen: number;
  /** dense input: Float32Array [B, T, inputSize]; token input: Int32Array [B, T] of ids. */
  x: Float32Array | Int32Array;
  /** Targets. mse: Float32Array [B, outputSize] (many-to-one) or [B, T, outputSize];
   *  xent: Int32Array [B] (many-to-one) or [B, T] (many-to-many) of class ids. */
  y: Float32Array | Int32Array;
  /** [B, T] 1 where a step is real, 0 where it is padding (variable-length many-to-many). */
  mask?: Float32Array;
  /** [B] real length of each sequence; the backward direction of a bidirectional layer starts at
   *  lengths[b]-1 so that it never reads padding. Absent = every sequence has length T. */
  lengths?: Int32Array;
}

/** What the trainer gives a task to evaluate with: a forward pass without gradients. */
export interface PredictResult {
  /** Regression outputs, or softmax probabilities: [B, O] (many-to-one) or [B, T, O]. */
  out: Float32Array;
  /** Sum of the per-target loss over the batch's real targets (squared error summed over output
   *  units for mse, negative log-likelihood in nats for xent), and how many targets were counted. */
  lossSum: number;
  count: number;
}
/** `carry`: start from the state the previous call ended in (else from zeros).
 *  `outputs: false`: only the loss is wanted; `out` is then empty (saves a softmax and a copy). */
export type Predict = (batch: Batch, opts?: { carry?: boolean; outputs?: boolean }) => PredictResult;

export type Split = 'valid' | 'test';

export interface Task {
  name: string;
  mode: Mode;
  objective: 'mse' | 'xent';
  input: { kind: 'dense'; size: number } | { kind: 'tokens'; vocab: number };
  outputSize: number;
  /** Carry the hidden state (detached) from one training batch to the next (truncated BPTT);
   *  with `carry: true`, evaluation also carries state from batch to batch within a split. */
  carryState?: boolean;
  /** The metric a run is judged by: `select` (a validation metric) ranks evaluations, runs and
   *  settings (sweep summaries, reports, train.target); `name` (its test twin) is what is reported
   *  at the selection. E.g. { name: 'test_mse', goal: 'min', select: 'valid_mse' }. */
  mainMetric: { name: string; goal: 'min' | 'max'; select: string };
  /** A reference value for readers: the adding problem's MSE of always predicting 1, a majority
   *  class error, ... `metric` names the metric it compares with. */
  baseline?: { metric: string; value: number; label: string };
  /** Facts recorded with the run: split sizes, sequence length, vocabulary size, seeds, ...
   *  `seq_len` is shown by `irnn runs list`, so a shortened task is never mistaken for the paper's. */
  info: Record<string, number | string | boolean>;
  /** A fresh training batch; `rng` is the run's training stream. */
  trainBatch(batchSize: number, rng: Rng): Batch;
  /** Training data that depends on `rng` alone and leaves the training stream untouched: the
   *  gradient-flow diagnostics' fixed probe batch. Absent: `trainBatch`, which is then pure in
   *  `rng` (true of every task whose batches do not continue one another). */
  probeBatch?(batchSize: number, rng: Rng): Batch;
  /** Metrics for one split, e.g. { test_mse: 0.01 } or { valid_acc: .., valid_loss: .. }.
   *  Metric names start with the split's name. */
  evaluate(split: Split, predict: Predict): Record<string, number>;
  /** Extra structured results stored with the run at the end (e.g. a per-class error breakdown). */
  details?(predict: Predict): Record<string, unknown>;
}

export interface TaskContext {
  /** The run's seed (training batches); tasks derive their own fixed streams for test sets. */
  seed: number;
  /** Folder for data caches (results/cache by default). */
  cacheDir: string;
}

/** Builds a task from its config section (`task.*`, already validated). */
export type TaskFactory = (cfg: Record<string, unknown>, ctx: TaskContext) => Promise<Task> | Task;
