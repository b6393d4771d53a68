// The adding problem as a Task: many-to-one regression, MSE loss, a fixed test set generated from
// its own seed (task.test_seed), training batches drawn fresh from the run's stream.
import { addingBatch, ADDING_BASELINE_MSE } from '../data/adding.js';
import { need } from '../config/schema.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { sumLoss } from './eval.js';
import type { Batch, Task, TaskFactory } from './task.js';

export const addingTask: TaskFactory = (cfg) => {
  const tree = { task: cfg };
  need(tree, 'task.seq_len', 'int>0');
  need(tree, 'task.test_size', 'int>0');
  need(tree, 'task.test_seed', 'int>=0');
  need(tree, 'task.eval_batch_size', 'int>0');
  const T = cfg['seq_len'] as number;
  if (T < 2) throw new UserError(`task.seq_len: the adding problem needs at least 2 steps, got ${T}`);
  const testSize = cfg['test_size'] as number;
  const evalBatch = cfg['eval_batch_size'] as number;
  const test = addingBatch({ n: testSize, seqLen: T, rng: new Rng(cfg['test_seed'] as number, 'adding-test') });

  const slice = (start: number, end: number): Batch => ({
    batchSize: end - start,
    seqLen: T,
    x: test.x.subarray(start * T * 2, end * T * 2),
    y: test.y.subarray(start, end),
  });

  function* testBatches(): Generator<Batch> {
    for (let s = 0; s < testSize; s += evalBatch) yield slice(s, Math.min(testSize, s + evalBatch));
  }

  const task: Task = {
    name: 'adding',
    mode: 'many-to-one',
    objective: 'mse',
    input: { kind: 'dense', size: 2 },
    outputSize: 1,
    mainMetric: { name: 'test_mse', goal: 'min' },
    baseline: { metric: 'test_mse', value: ADDING_BASELINE_MSE, label: 'always predict 1' },
    info: { seq_len: T, test_size: testSize, test_seed: cfg['test_seed'] as number },
    trainBatch(batchSize, rng) {
      const d = addingBatch({ n: batchSize, seqLen: T, rng });
      return { batchSize, seqLen: T, x: d.x, y: d.y };
    },
    evaluate(split, predict) {
      if (split !== 'test') return {} as Record<string, number>;
      const { lossSum, count } = sumLoss({ batches: testBatches(), predict });
      return { test_mse: lossSum / count };
    },
  };
  return task;
};
