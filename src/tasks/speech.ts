// Frame-level phone recognition on synthesized speech (stand-in for the paper's TIMIT experiment,
// section 4.3): many-to-many softmax over 40 classes (39 phones + sil), frame error rate (FER).
// The corpus lives in src/data/speech.ts; this file batches utterances and scores predictions.
//
// Worked example: "the head" said by one speaker is sil dh ah hh eh d sil, 12112 samples (0.76 s),
// so T = 1 + floor((12112 - 400) / 160) = 74 frames of 80 numbers (40 log-mel + 40 deltas) with one
// class id each. A batch of 16 such utterances pads each to the longest one, say 210 frames:
// x [16, 210, 80], y [16, 210], mask [16, 210] (1 on real frames), lengths [16]. The loss is the
// mean cross-entropy over real frames; FER = wrong real frames / real frames.
import { need } from '../config/schema.js';
import type { Tree } from '../config/tree.js';
import { SPLIT_NAMES, type SplitName } from '../data/corpus.js';
import { PHONE_CLASS_OF, PHONE_CLASSES, PHONES } from '../data/phonemes.js';
import { prepareSpeech, type SpeechSettings, type SpeechSplit } from '../data/speech.js';
import { errorRate, scoreClasses } from './eval.js';
import type { Batch, Split, Task, TaskFactory } from './task.js';

const NOISES = ['white', 'pink', 'mixed'] as const;

/** Reads and checks the task.* keys the corpus depends on. */
export function speechSettings(cfg: Record<string, unknown>): SpeechSettings {
  const tree = { task: cfg } as unknown as Tree;
  for (const s of SPLIT_NAMES) {
    need(tree, `task.${s}_utterances`, 'int>0');
    need(tree, `task.${s}_speakers`, 'int>0');
  }
  need(tree, 'task.data_seed', 'int>=0');
  need(tree, 'task.min_words', 'int>0');
  need(tree, 'task.max_words', 'int>0');
  need(tree, 'task.snr_db', 'number', { nullable: true });
  need(tree, 'task.noise', NOISES);
  need(tree, 'task.deltas', 'boolean');
  need(tree, 'task.delta_deltas', 'boolean');
  const per = (k: string) => Object.fromEntries(SPLIT_NAMES.map((s) => [s, cfg[`${s}_${k}`] as number])) as Record<SplitName, number>;
  return {
    dataSeed: cfg['data_seed'] as number,
    utterances: per('utterances'),
    speakers: per('speakers'),
    minWords: cfg['min_words'] as number,
    maxWords: cfg['max_words'] as number,
    snrDb: (cfg['snr_db'] as number | null) ?? null,
    noise: cfg['noise'] as SpeechSettings['noise'],
    deltas: cfg['deltas'] as boolean,
    deltaDeltas: cfg['delta_deltas'] as boolean,
  };
}

/** Utterances `ids` of a split padded to the longest: x [B, T, F], y [B, T], mask [B, T], lengths [B]. */
export function utteranceBatch(split: SpeechSplit, ids: ArrayLike<number>, F: number): Batch {
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
    y.set(split.labels.subarray(start, start + len), b * T);
    mask.fill(1, b * T, b * T + len);
  }
  return { batchSize: B, seqLen: T, x, y, mask, lengths };
}

/** A whole split in batches of `size`, longest utterances first so that batches pad little. */
function* splitBatches(split: SpeechSplit, F: number, size: number): Generator<Batch> {
  const len = (u: number) => split.offsets[u + 1]! - split.offsets[u]!;
  const order = Array.from({ length: split.n }, (_, i) => i).sort((a, b) => len(b) - len(a) || a - b);
  for (let s = 0; s < order.length; s += size) yield utteranceBatch(split, order.slice(s, s + size), F);
}

export const speechTask: TaskFactory = async (cfg, ctx) => {
  const settings = speechSettings(cfg);
  need({ task: cfg } as unknown as Tree, 'task.eval_batch_size', 'int>0');
  const evalBatch = cfg['eval_batch_size'] as number;
  const corpus = await prepareSpeech({ ...settings, cacheDir: ctx.cacheDir });
  const F = corpus.featureSize;
  const { train, valid, test } = corpus.splits;

  // Chance baseline: always answer the most frequent training label.
  const counts = new Float64Array(PHONES.length);
  for (const l of train.labels) counts[l]! += 1;
  const majority = counts.indexOf(Math.max(...counts));
  const majorityFer = test.labels.reduce((n, l) => n + (l === majority ? 0 : 1), 0) / test.labels.length;
  const maxFrames = (s: SpeechSplit) => Math.max(...Array.from({ length: s.n }, (_, i) => s.offsets[i + 1]! - s.offsets[i]!));
  const splits: Record<Split, SpeechSplit> = { valid, test };
  // Confusion counts of the last test evaluation, reused by details() so that it costs no extra pass.
  let lastTestConfusion: number[][] | null = null;

  const task: Task = {
    name: 'speech',
    mode: 'many-to-many',
    objective: 'xent',
    input: { kind: 'dense', size: F },
    outputSize: PHONES.length,
    mainMetric: { name: 'test_fer', goal: 'min', select: 'valid_fer' },
    baseline: { metric: 'test_fer', value: majorityFer, label: `always the most frequent training phone (${PHONES[majority]})` },
    info: {
      train_utterances: train.n,
      valid_utterances: valid.n,
      test_utterances: test.n,
      train_frames: train.labels.length,
      valid_frames: valid.labels.length,
      test_frames: test.labels.length,
      speakers: `${train.speakers.length}/${valid.speakers.length}/${test.speakers.length}`,
      feature_size: F,
      phones: PHONES.length,
      // The mean number of frames per training utterance; batches are padded to their longest.
      seq_len: Math.round(train.labels.length / train.n),
      max_frames: Math.max(maxFrames(train), maxFrames(valid), maxFrames(test)),
      snr_db: settings.snrDb ?? 'clean',
      noise: settings.noise,
      data_seed: settings.dataSeed,
      text: 'moby_dick phrases, cmudict pronunciations',
      corpus_key: corpus.key,
    },
    trainBatch(batchSize, rng) {
      const ids = Array.from({ length: batchSize }, () => rng.int(train.n));
      return utteranceBatch(train, ids, F);
    },
    evaluate(split, predict) {
      const { lossSum, count, confusion } = scoreClasses({ batches: splitBatches(splits[split], F, evalBatch), predict, classes: PHONES.length });
      if (split === 'test') lastTestConfusion = confusion;
      return { [`${split}_fer`]: errorRate(confusion), [`${split}_loss`]: lossSum / count };
    },
    details(predict) {
      // Per phone: frames and errors on test; per broad class, and how often even the class is wrong.
      if (!lastTestConfusion) task.evaluate('test', predict);
      const confusion = lastTestConfusion!;
      const frames = confusion.map((row) => row.reduce((a, b) => a + b, 0));
      const wrong = confusion.map((row, truth) => frames[truth]! - row[truth]!);
      let classWrong = 0;
      confusion.forEach((row, truth) =>
        row.forEach((n, guess) => {
          if (PHONE_CLASS_OF[truth] !== PHONE_CLASS_OF[guess]) classWrong += n;
        }),
      );
      const rate = (w: number, n: number) => (n > 0 ? w / n : null);
      const byClass = Object.fromEntries(
        PHONE_CLASSES.map((c) => {
          let n = 0;
          let w = 0;
          PHONES.forEach((_, i) => {
            if (PHONE_CLASS_OF[i] === c) {
              n += frames[i]!;
              w += wrong[i]!;
            }
          });
          return [c, { frames: n, fer: rate(w, n) }];
        }),
      );
      const byPhone = Object.fromEntries(PHONES.map((p, i) => [p, { frames: frames[i]!, fer: rate(wrong[i]!, frames[i]!) }]));
      const total = frames.reduce((a, b) => a + b, 0);
      return {
        test_fer_by_class: byClass,
        test_fer_by_phone: byPhone,
        // A frame counts as wrong here only when the guess is in another broad class.
        test_class_fer: classWrong / total,
        class_of_affricates: 'stop',
        class_of_hh: 'fricative',
      };
    },
  };
  return task;
};
