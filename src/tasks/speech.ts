// Frame-level phone recognition (the paper's TIMIT experiment, section 4.4): many-to-many softmax
// over the frames' phone classes, frame error rate (FER). The frames come from a source (speech-
// sources.ts): synthesized speech (40 classes: 39 phones + sil), or TIMIT itself (trained on 60, 48
// or 39 classes, scored on Lee & Hon's 39). This file batches utterances and scores predictions.
//
// Worked example: "the head" said by one speaker is sil dh ah hh eh d sil, 12112 samples (0.76 s),
// so T = 1 + floor((12112 - 400) / 160) = 74 frames of 80 numbers (40 log-mel + 40 deltas) with one
// class id each. A batch of 16 such utterances pads each to the longest one, say 210 frames:
// x [16, 210, 80], y [16, 210], mask [16, 210] (1 on real frames), lengths [16]. The loss is the
// mean cross-entropy over real frames; FER = wrong real frames / real frames. On TIMIT a guess and a
// truth that fold to the same one of the 39 phones count as right, and q's frames are not scored.
import { need } from '../config/schema.js';
import type { Tree } from '../config/tree.js';
import { NO_LABEL, type SpeechSplit } from '../data/speech-cache.js';
import { PHONE_CLASSES } from '../data/phonemes.js';
import { errorRate, scoreClasses } from './eval.js';
import { SPEECH_SOURCES, type SpeechCorpusView } from './speech-sources.js';
import type { Batch, Split, Task, TaskFactory } from './task.js';

export { speechSettings } from './speech-sources.js';

/** Utterances `ids` of a split padded to the longest: x [B, T, F], y [B, T], mask [B, T], lengths [B]. */
export function utteranceBatch(split: SpeechSplit<unknown>, ids: ArrayLike<number>, F: number): Batch {
  const B = ids.length;
  let T = 0;
  for (let b = 0; b < B; b++) T = Math.max(T, split.offsets[ids[b]! + 1]! - split.offsets[ids[b]!]!);
  const x = new Float32Array(B * T * F);
  const y = new Int32Array(B * T);
  const mask = new Float32Array(B * T);
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const start = split.offsets[ids[b]!]!;
    const len = split.offsets[ids[b]! + 1]! - start;
    lengths[b] = len;
    x.set(split.features.subarray(start * F, (start + len) * F), b * T * F);
    // A frame without a label (TIMIT's q) stays in the input but out of the loss and the scores.
    for (let t = 0; t < len; t++) {
      const l = split.labels[start + t]!;
      if (l !== NO_LABEL) {
        y[b * T + t] = l;
        mask[b * T + t] = 1;
      }
    }
  }
  return { batchSize: B, seqLen: T, x, y, mask, lengths };
}

/** A whole split in batches of `size`, longest utterances first so that batches pad little. */
function* splitBatches(split: SpeechSplit<unknown>, F: number, size: number): Generator<Batch> {
  const len = (u: number) => split.offsets[u + 1]! - split.offsets[u]!;
  const order = Array.from({ length: split.n }, (_, i) => i).sort((a, b) => len(b) - len(a) || a - b);
  for (let s = 0; s < order.length; s += size) yield utteranceBatch(split, order.slice(s, s + size), F);
}

/** Confusion counts among training classes, [C][C], folded to the scored phones, [S][S]. */
export function foldConfusion(confusion: number[][], toScored: Int32Array, scored: number): number[][] {
  const out = Array.from({ length: scored }, () => new Array<number>(scored).fill(0));
  confusion.forEach((row, truth) => row.forEach((n, guess) => (out[toScored[truth]!]![toScored[guess]!]! += n)));
  return out;
}

/** Per scored phone and broad class: frames and FER on test, and how often even the class is wrong. */
function breakdown(confusion: number[][], v: SpeechCorpusView): Record<string, unknown> {
  const frames = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const wrong = confusion.map((row, truth) => frames[truth]! - row[truth]!);
  let classWrong = 0;
  confusion.forEach((row, truth) =>
    row.forEach((n, guess) => {
      if (v.broad[truth] !== v.broad[guess]) classWrong += n;
    }),
  );
  const rate = (w: number, n: number) => (n > 0 ? w / n : null);
  const byClass = Object.fromEntries(
    PHONE_CLASSES.map((c) => {
      let n = 0;
      let w = 0;
      v.scored.forEach((_, i) => {
        if (v.broad[i] === c) {
          n += frames[i]!;
          w += wrong[i]!;
        }
      });
      return [c, { frames: n, fer: rate(w, n) }];
    }),
  );
  const byPhone = Object.fromEntries(v.scored.map((p, i) => [p, { frames: frames[i]!, fer: rate(wrong[i]!, frames[i]!) }]));
  const total = frames.reduce((a, b) => a + b, 0);
  return {
    test_fer_by_class: byClass,
    test_fer_by_phone: byPhone,
    // A frame counts as wrong here only when the guess is in another broad class.
    test_class_fer: classWrong / total,
    ...v.notes,
  };
}

export const speechTask: TaskFactory = async (cfg, ctx) => {
  const tree = { task: cfg } as unknown as Tree;
  // Configs stored before TIMIT was readable have no task.source: they are synthetic.
  need(tree, 'task.source', Object.keys(SPEECH_SOURCES), { optional: true });
  need(tree, 'task.eval_batch_size', 'int>0');
  const source = (cfg['source'] as keyof typeof SPEECH_SOURCES | undefined) ?? 'synthetic';
  const evalBatch = cfg['eval_batch_size'] as number;
  const corpus = await SPEECH_SOURCES[source](cfg, ctx);
  const F = corpus.featureSize;
  const C = corpus.classes.length;
  const S = corpus.scored.length;
  const { train, valid, test } = corpus.splits;

  // Chance baseline: always answer the most frequent training label, scored as any guess is.
  const counts = new Float64Array(C);
  for (const l of train.labels) if (l !== NO_LABEL) counts[l]! += 1;
  const majority = counts.indexOf(Math.max(...counts));
  let scoredTest = 0;
  let majorityWrong = 0;
  for (const l of test.labels) {
    if (l === NO_LABEL) continue;
    scoredTest++;
    if (corpus.toScored[l] !== corpus.toScored[majority]) majorityWrong++;
  }
  const maxFrames = (s: SpeechSplit<unknown>) => Math.max(...Array.from({ length: s.n }, (_, i) => s.offsets[i + 1]! - s.offsets[i]!));
  const splits: Record<Split, SpeechSplit<unknown>> = { valid, test };
  // Confusion counts of the last test evaluation, reused by details() so that it costs no extra pass.
  let lastTestConfusion: number[][] | null = null;

  const task: Task = {
    name: 'speech',
    mode: 'many-to-many',
    objective: 'xent',
    input: { kind: 'dense', size: F },
    outputSize: C,
    mainMetric: { name: 'test_fer', goal: 'min', select: 'valid_fer' },
    baseline: { metric: 'test_fer', value: majorityWrong / scoredTest, label: `always the most frequent training phone (${corpus.classes[majority]})` },
    info: {
      source,
      train_utterances: train.n,
      valid_utterances: valid.n,
      test_utterances: test.n,
      train_frames: train.labels.length,
      valid_frames: valid.labels.length,
      test_frames: test.labels.length,
      test_scored_frames: scoredTest,
      feature_size: F,
      phones: C,
      // The mean number of frames per training utterance; batches are padded to their longest.
      seq_len: Math.round(train.labels.length / train.n),
      max_frames: Math.max(maxFrames(train), maxFrames(valid), maxFrames(test)),
      ...corpus.info,
    },
    trainBatch(batchSize, rng) {
      const ids = Array.from({ length: batchSize }, () => rng.int(train.n));
      return utteranceBatch(train, ids, F);
    },
    evaluate(split, predict) {
      const scored = scoreClasses({ batches: splitBatches(splits[split], F, evalBatch), predict, classes: C });
      const confusion = foldConfusion(scored.confusion, corpus.toScored, S);
      if (split === 'test') lastTestConfusion = confusion;
      return { [`${split}_fer`]: errorRate(confusion), [`${split}_loss`]: scored.lossSum / scored.count };
    },
    details(predict) {
      if (!lastTestConfusion) task.evaluate('test', predict);
      return breakdown(lastTestConfusion!, corpus);
    },
  };
  return task;
};
