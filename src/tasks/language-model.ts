// Language modelling as a Task (paper section 4.3): next-token prediction over words or characters
// with truncated BPTT. Corpora and tokenisation live in src/data; this file batches and scores.
// The training ids may sit in a file (One Billion Word): they are read one window at a time.
// It does not hold hidden state: the trainer carries it between calls (carryState / carry).
//
// Worked example: a training split of N = 1000 ids with train.batch_size = 4 is cut into 4
// streams of L = 250 ids (stream b = ids b*250 .. b*250+249). With bptt = 35 the first call to
// trainBatch gives x[b, t] = id b*250+t and y[b, t] = id b*250+t+1 for t = 0..34, both [4, 35];
// the second call starts at t = 35, exactly where the first ended, so the hidden state the trainer
// carries over belongs to the text that follows. After floor(249/35) = 7 windows it wraps to t = 0.
// Evaluation cuts a whole split the same way (task.eval_batch_size streams) and walks it window
// by window; the loss is the mean cross-entropy in nats over every predicted id.
import { need } from '../config/schema.js';
import type { Tree } from '../config/tree.js';
import { tokenizeCorpus, LEVELS, type Level, type TokenIds } from '../data/tokenize.js';
import { CORPORA } from '../data/corpus.js';
import { UserError } from '../util/errors.js';
import { sumLoss, type LossSum } from './eval.js';
import type { Batch, Predict, Split, Task, TaskFactory } from './task.js';

/** One contiguous window of `streams` parallel rows: x = ids at start..start+T-1 of each row,
 *  y = the ids one step later. Row b begins at id b * rowLen of `ids`. */
export function streamWindow(o: { ids: TokenIds; streams: number; rowLen: number; start: number; T: number }): Batch {
  const { streams, rowLen, start, T } = o;
  return windowsAt(o.ids, Array.from({ length: streams }, (_, b) => b * rowLen + start), T);
}

/** Rows of T ids starting at each of `starts` (x) and the ids one step later (y): [B, T] each.
 *  One read of T + 1 ids per row, whether the ids are in memory or in a file. */
function windowsAt(ids: TokenIds, starts: number[], T: number): Batch {
  const B = starts.length;
  const x = new Int32Array(B * T); // [B, T]
  const y = new Int32Array(B * T); // [B, T]
  starts.forEach((from, b) => {
    const row = ids.slice(from, from + T + 1);
    x.set(row.subarray(0, T), b * T);
    y.set(row.subarray(1, T + 1), b * T);
  });
  return { batchSize: B, seqLen: T, x, y };
}

/** Consecutive bptt-long windows of `streams` rows that cut the training ids, wrapping at the end.
 *  A row of L ids gives floor((L-1)/bptt) windows per pass; its last few ids wait for the next pass. */
export function trainStreams(ids: TokenIds, streams: number, bptt: number): () => Batch {
  const rowLen = Math.floor(ids.length / streams);
  if (rowLen < bptt + 1) {
    throw new UserError(
      `task: the training split has ${ids.length} tokens, too few for train.batch_size=${streams} streams of task.bptt+1=${bptt + 1} tokens`,
    );
  }
  let start = 0;
  return () => {
    const batch = streamWindow({ ids, streams, rowLen, start, T: bptt });
    start += bptt;
    if (start + bptt + 1 > rowLen) start = 0;
    return batch;
  };
}

/** How a split is scored: `streams` rows of `rowLen` predicted ids each. Row b predicts ids
 *  b*rowLen+1 .. b*rowLen+rowLen, so every id from 1 to streams*rowLen is predicted exactly once. */
export interface EvalPlan {
  ids: Int32Array;
  streams: number;
  rowLen: number;
  bptt: number;
}

/** The first `maxTokens`+1 ids of a split (null = all), cut into at most `streams` rows. */
export function evalPlan(o: { ids: Int32Array; streams: number; bptt: number; maxTokens: number | null }): EvalPlan {
  const ids = o.maxTokens === null ? o.ids : o.ids.subarray(0, o.maxTokens + 1);
  const streams = Math.min(o.streams, ids.length - 1);
  if (streams < 1) throw new UserError(`task: an evaluation split has ${ids.length} token(s); it needs at least 2`);
  return { ids, streams, rowLen: Math.floor((ids.length - 1) / streams), bptt: o.bptt };
}

/** The windows that walk a plan: every row's next `bptt` predictions (fewer at the end). */
function* planWindows(plan: EvalPlan): Generator<Batch> {
  for (let start = 0; start < plan.rowLen; start += plan.bptt) {
    yield streamWindow({ ids: plan.ids, streams: plan.streams, rowLen: plan.rowLen, start, T: Math.min(plan.bptt, plan.rowLen - start) });
  }
}

/** Summed cross-entropy over a plan, window by window (perplexity and bpc need no outputs). With
 *  `carry` the first window starts from a zero state and every later one from the state the
 *  previous ended in; without it every window starts from zeros. */
export function scoreStreams(plan: EvalPlan, predict: Predict, carry = true): LossSum {
  return sumLoss({ batches: planWindows(plan), predict, carry });
}

/** Mean cross-entropy (nats) of a unigram model fitted on the training ids (`counts` [vocab] of
 *  each id; add-one smoothing), over the ids a plan predicts: the score any model that reads its
 *  input should beat. */
export function unigramLoss(counts: Float64Array, plan: EvalPlan): number {
  const total = counts.reduce((a, b) => a + b, 0) + counts.length;
  let sum = 0;
  for (let b = 0; b < plan.streams; b++) {
    for (let t = 1; t <= plan.rowLen; t++) sum -= Math.log((counts[plan.ids[b * plan.rowLen + t]!]! + 1) / total);
  }
  return sum / (plan.streams * plan.rowLen);
}

/** Metric names and the transform from mean nats: perplexity for words, bits per character. */
const SCORES: Record<Level, { metric: string; fromNats: (nats: number) => number }> = {
  word: { metric: 'ppl', fromNats: (nats) => Math.exp(nats) },
  char: { metric: 'bpc', fromNats: (nats) => nats / Math.LN2 },
};

export const lmTask: TaskFactory = (cfg, ctx) => {
  const tree = { task: cfg } as Tree;
  need(tree, 'task.level', LEVELS);
  need(tree, 'task.corpus', Object.keys(CORPORA));
  need(tree, 'task.corpus_dir', 'string', { nullable: true });
  // Configs stored before ptb and billion were readable have no task.path.
  need(tree, 'task.path', 'string', { nullable: true, optional: true });
  need(tree, 'task.vocab_size', 'int>0', { nullable: true });
  need(tree, 'task.bptt', 'int>0');
  need(tree, 'task.embed_size', 'int>0');
  need(tree, 'task.eval_tokens', 'int>0', { nullable: true });
  need(tree, 'task.eval_batch_size', 'int>0');
  need(tree, 'task.carry_state', 'boolean');
  const level = cfg['level'] as Level;
  const bptt = cfg['bptt'] as number;
  const carry = cfg['carry_state'] as boolean;
  const corpus = { corpus: cfg['corpus'] as string, dir: (cfg['corpus_dir'] as string | null) ?? null, path: (cfg['path'] as string | null | undefined) ?? null };
  const vocabCap = (cfg['vocab_size'] as number | null) ?? null;

  const data = tokenizeCorpus({ corpus, level, vocabSize: vocabCap, cacheDir: ctx.cacheDir });
  const vocab = data.vocab.tokens.length;
  const maxTokens = (cfg['eval_tokens'] as number | null) ?? null;
  const plans: Record<Split, EvalPlan> = {
    valid: evalPlan({ ids: data.ids.valid, streams: cfg['eval_batch_size'] as number, bptt, maxTokens }),
    test: evalPlan({ ids: data.ids.test, streams: cfg['eval_batch_size'] as number, bptt, maxTokens }),
  };
  const score = SCORES[level];
  const unkRate = data.ids.test.reduce((n, id) => n + (id === 0 ? 1 : 0), 0) / data.ids.test.length;

  // Rebuilt only if the batch size changes; the windows are contiguous, so `rng` is not needed.
  let streams: { size: number; next: () => Batch } | null = null;

  const task: Task = {
    name: 'lm',
    mode: 'many-to-many',
    objective: 'xent',
    input: { kind: 'tokens', vocab },
    outputSize: vocab,
    carryState: carry,
    mainMetric: { name: `test_${score.metric}`, goal: 'min', select: `valid_${score.metric}` },
    baseline: {
      metric: `test_${score.metric}`,
      value: score.fromNats(unigramLoss(data.trainCounts, plans.test)),
      label: 'unigram model fitted on the training split',
    },
    info: {
      corpus: corpus.corpus,
      corpus_splits: data.description,
      level,
      vocab_size: vocab,
      vocab_cap: vocabCap ?? 'none',
      train_tokens: data.ids.train.length,
      valid_tokens: data.ids.valid.length,
      test_tokens: data.ids.test.length,
      test_unk_rate: unkRate,
      bptt,
      seq_len: bptt,
      carry_state: carry,
      embed_size: cfg['embed_size'] as number,
      eval_batch_size: plans.test.streams,
      // Tokens actually scored; below valid_tokens / test_tokens when task.eval_tokens caps them.
      valid_eval_tokens: plans.valid.streams * plans.valid.rowLen,
      test_eval_tokens: plans.test.streams * plans.test.rowLen,
      eval_whole_split: maxTokens === null,
    },
    trainBatch(batchSize) {
      if (streams?.size !== batchSize) streams = { size: batchSize, next: trainStreams(data.ids.train, batchSize, bptt) };
      return streams.next();
    },
    // Windows at random places in the training text; the training streams do not move.
    probeBatch(batchSize, rng) {
      const ids = data.ids.train;
      if (ids.length < bptt + 1) throw new UserError(`task: the training split has ${ids.length} tokens, fewer than task.bptt+1=${bptt + 1}`);
      return windowsAt(ids, Array.from({ length: batchSize }, () => rng.int(ids.length - bptt)), bptt);
    },
    evaluate(split, predict) {
      const { lossSum, count } = scoreStreams(plans[split], predict, carry);
      if (count === 0) throw new Error(`lm: the ${split} split produced no predictions`);
      const nats = lossSum / count;
      return { [`${split}_${score.metric}`]: score.fromNats(nats), [`${split}_loss`]: nats };
    },
  };
  return task;
};
