// The adding problem as a Task: many-to-one regression, MSE loss, fixed validation and test sets
// generated from their own seeds (task.valid_seed, task.test_seed), training batches drawn fresh
// from the run's stream. Runs are selected on valid_mse and reported on test_mse.
import { addingBatch, ADDING_BASELINE_MSE, type AddingData } from '../data/adding.js';
import { need } from '../config/schema.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { sumLoss } from './eval.js';
import type { Batch, Split, Task, TaskFactory } from './task.js';

export const addingTask: TaskFactory = (cfg) => {
  const tree = { task: cfg };
  need(tree, 'task.seq_len', 'int>0');
  need(tree, 'task.test_size', 'int>0');
  need(tree, 'task.test_seed', 'int>=0');
  need(tree, 'task.valid_size', 'int>0');
  need(tree, 'task.valid_seed', 'int>=0');
  need(tree, 'task.eval_batch_size', 'int>0');
  const T = cfg['seq_len'] as number;
  if (T < 2) throw new UserError(`task.seq_len: the adding problem needs at least 2 steps, got ${T}`);
  const evalBatch = cfg['eval_batch_size'] as number;
  // The two sets come from different seeds and streams, so no sequence is shared by accident.
  const sets: Record<Split, AddingData> = {
    valid: addingBatch({ n: cfg['valid_size'] as number, seqLen: T, rng: new Rng(cfg['valid_seed'] as number, 'adding-valid') }),
    test: addingBatch({ n: cfg['test_size'] as number, seqLen: T, rng: new Rng(cfg['test_seed'] as number, 'adding-test') }),
  };

  function* batches(d: AddingData): Generator<Batch> {
    for (let s = 0; s < d.n; s += evalBatch) {
      const e = Math.min(d.n, s + evalBatch);
      yield { batchSize: e - s, seqLen: T, x: d.x.subarray(s * T * 2, e * T * 2), y: d.y.subarray(s, e) };
    }
  }

  const task: Task = {
    name: 'adding',
    mode: 'many-to-one',
    objective: 'mse',
    input: { kind: 'dense', size: 2 },
    outputSize: 1,
    mainMetric: { name: 'test_mse', goal: 'min', select: 'valid_mse' },
    baseline: { metric: 'test_mse', value: ADDING_BASELINE_MSE, label: 'always predict 1' },
    info: {
      seq_len: T,
      valid_size: sets.valid.n,
      valid_seed: cfg['valid_seed'] as number,
      test_size: sets.test.n,
      test_seed: cfg['test_seed'] as number,
    },
    trainBatch(batchSize, rng) {
      const d = addingBatch({ n: batchSize, seqLen: T, rng });
      return { batchSize, seqLen: T, x: d.x, y: d.y };
    },
    evaluate(split, predict) {
      const { lossSum, count } = sumLoss({ batches: batches(sets[split]), predict });
      return { [`${split}_mse`]: lossSum / count };
    },
  };
  return task;
};
