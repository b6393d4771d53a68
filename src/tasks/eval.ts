// Scoring a split batch by batch with the trainer's predict, shared by the pixel MNIST, language
// model and speech tasks: sums the loss predict reports and, for classifiers, tallies argmax guesses
// against the targets. It does not build batches, choose their order or name metrics.
import type { Batch, Predict } from './task.js';

export interface LossSum {
  lossSum: number;
  count: number;
}

/** Summed loss over `batches`, without asking for outputs (saves a softmax and a copy per batch).
 *  With `carry` every batch after the first starts from the state the previous one ended in (the
 *  first from zeros); without it every batch starts from zeros. */
export function sumLoss(o: { batches: Iterable<Batch>; predict: Predict; carry?: boolean }): LossSum {
  let lossSum = 0;
  let count = 0;
  let first = true;
  for (const batch of o.batches) {
    const r = o.predict(batch, { carry: (o.carry ?? false) && !first, outputs: false });
    lossSum += r.lossSum;
    count += r.count;
    first = false;
  }
  return { lossSum, count };
}

/** Summed loss and confusion[truth][guess] ([C][C]) over every real target (mask 1, or every
 *  target of a batch without a mask), the guess being the argmax of the target's C outputs. Target
 *  i's outputs are out[i*C .. i*C+C-1] whether y is [B] (many-to-one) or [B, T] (many-to-many). */
export function scoreClasses(o: { batches: Iterable<Batch>; predict: Predict; classes: number }): LossSum & { confusion: number[][] } {
  const C = o.classes;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let lossSum = 0;
  let count = 0;
  for (const batch of o.batches) {
    const r = o.predict(batch);
    lossSum += r.lossSum;
    count += r.count;
    for (let i = 0; i < batch.y.length; i++) {
      if (batch.mask && batch.mask[i] === 0) continue;
      let guess = 0;
      for (let k = 1; k < C; k++) if (r.out[i * C + k]! > r.out[i * C + guess]!) guess = k;
      confusion[batch.y[i]!]![guess]!++;
    }
  }
  return { lossSum, count, confusion };
}

function tally(confusion: number[][]): { total: number; correct: number } {
  let total = 0;
  let correct = 0;
  confusion.forEach((row, c) => {
    for (const n of row) total += n;
    correct += row[c]!;
  });
  return { total, correct };
}

/** Fraction of the counted targets guessed right. */
export function accuracy(confusion: number[][]): number {
  const { total, correct } = tally(confusion);
  return correct / total;
}

/** Fraction guessed wrong (e.g. the frame error rate), as wrong / total rather than 1 - accuracy. */
export function errorRate(confusion: number[][]): number {
  const { total, correct } = tally(confusion);
  return (total - correct) / total;
}
