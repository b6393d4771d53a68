// Pixel-by-pixel MNIST (paper section 4.2): a network reads a digit one grey level per step, in
// scanline order (or one fixed random permutation of it), and names the class after the last
// step. Data loading and the pixel order live in src/data/mnist.ts; this file batches and scores.
//
// Worked example: with task.downsample=7 each 28x28 digit is average-pooled over 4x4 blocks to
// 7x7, so a batch of 16 is x [16, 49, 1] with values in [0, 1] and y [16] of classes 0..9; the
// loss is the softmax cross-entropy of the output at step 49 only.
import type { Batch, Predict, Split, Task, TaskContext, TaskFactory } from './task.js';
import type { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';
import { need } from '../config/schema.js';
import type { Tree } from '../config/tree.js';
import { accuracy, scoreClasses } from './eval.js';
import { fillSequences, loadMnist, MNIST_SOURCES, pixelOrder, type MnistSource, type Subset } from '../data/mnist.js';

const CLASSES = 10;

/** First `max` rows of a split (null = all): a shorter, still fixed, evaluation set. */
function cap(s: Subset, max: number | null): Subset {
  return max === null || max >= s.rows.length ? s : { digits: s.digits, rows: s.rows.subarray(0, max) };
}

function buildTask(name: string, permuted: boolean, cfg: Record<string, unknown>, ctx: TaskContext): Task {
  const tree = { task: cfg } as unknown as Tree;
  need(tree, 'task.source', MNIST_SOURCES);
  need(tree, 'task.data_dir', 'string', { nullable: true });
  need(tree, 'task.downsample', 'int>0', { nullable: true });
  for (const k of ['valid_size', 'eval_batch_size']) need(tree, `task.${k}`, 'int>0');
  for (const k of ['test_size', 'split_seed']) need(tree, `task.${k}`, 'int>=0');
  for (const k of ['max_valid', 'max_test']) need(tree, `task.${k}`, 'int>0', { nullable: true });
  if (permuted) need(tree, 'task.permutation_seed', 'int>=0');
  const source = cfg['source'] as MnistSource;
  const dataDir = cfg['data_dir'] as string | null;
  const permutationSeed = permuted ? (cfg['permutation_seed'] as number) : null;
  const evalBatch = cfg['eval_batch_size'] as number;
  const splitSeed = cfg['split_seed'] as number;

  const data = loadMnist({
    source,
    dataDir,
    cacheDir: ctx.cacheDir,
    validSize: cfg['valid_size'] as number,
    testSize: cfg['test_size'] as number,
    splitSeed,
  });
  const order = pixelOrder({ imageSide: data.side, downsample: cfg['downsample'] as number | null, permutationSeed });
  const T = order.seqLen;
  const splits: Record<Split, Subset> = {
    valid: cap(data.valid, cfg['max_valid'] as number | null),
    test: cap(data.test, cfg['max_test'] as number | null),
  };
  if (splits.test.rows.length === 0) throw new UserError('task.test_size: the test split is empty');

  const batchOf = (s: Subset, rows: Int32Array): Batch => ({
    batchSize: rows.length,
    seqLen: T,
    x: fillSequences(s.digits, rows, order), // [B, T, 1]
    y: Int32Array.from(rows, (r) => s.digits.labels[r]!), // [B]
  });

  // Confusion counts of the last test evaluation, reused by details() so that it costs no extra pass.
  let lastTestConfusion: number[][] | null = null;

  function* batches(s: Subset): Generator<Batch> {
    for (let at = 0; at < s.rows.length; at += evalBatch) yield batchOf(s, s.rows.subarray(at, at + evalBatch));
  }

  const evaluate = (split: Split, predict: Predict): Record<string, number> => {
    const { lossSum, count, confusion } = scoreClasses({ batches: batches(splits[split]), predict, classes: CLASSES });
    if (split === 'test') lastTestConfusion = confusion;
    return { [`${split}_acc`]: accuracy(confusion), [`${split}_loss`]: lossSum / count };
  };

  const train = data.train;
  const majority = majorityClass(train);
  const testLabels = Array.from(splits.test.rows, (r) => splits.test.digits.labels[r]!);
  const majorityAcc = testLabels.filter((l) => l === majority).length / testLabels.length;

  return {
    name,
    mode: 'many-to-one',
    objective: 'xent',
    input: { kind: 'dense', size: 1 },
    outputSize: CLASSES,
    mainMetric: { name: 'test_acc', goal: 'max', select: 'valid_acc' },
    baseline: { metric: 'test_acc', value: majorityAcc, label: `always class ${majority} (the commonest in training; chance is 0.1)` },
    info: {
      source,
      ...(source === 'idx' ? { data_dir: String(dataDir) } : {}),
      train_size: train.rows.length,
      valid_size: splits.valid.rows.length,
      test_size: splits.test.rows.length,
      split_seed: splitSeed,
      image_side: data.side,
      downsample: order.side,
      seq_len: T,
      ...(permuted ? { permutation_seed: permutationSeed! } : {}),
    },
    trainBatch(batchSize: number, rng: Rng): Batch {
      const rows = new Int32Array(batchSize);
      for (let b = 0; b < batchSize; b++) rows[b] = train.rows[rng.int(train.rows.length)]!;
      return batchOf(train, rows);
    },
    evaluate,
    details(predict: Predict) {
      if (!lastTestConfusion) evaluate('test', predict);
      const confusion = lastTestConfusion!;
      const perClass = confusion.map((row, c) => {
        const n = row.reduce((a, b) => a + b, 0);
        return n === 0 ? null : row[c]! / n;
      });
      return { test_per_class_acc: perClass, test_confusion: confusion };
    },
  };
}

function majorityClass(s: Subset): number {
  const counts = new Array<number>(CLASSES).fill(0);
  for (const r of s.rows) counts[s.digits.labels[r]!]!++;
  return counts.indexOf(Math.max(...counts));
}

export const pixelMnistTask: TaskFactory = (cfg, ctx) => buildTask('pixel_mnist', false, cfg, ctx);
export const permutedMnistTask: TaskFactory = (cfg, ctx) => buildTask('permuted_mnist', true, cfg, ctx);
