// The speech task: padded utterance batches, FER and the per-class breakdown scored against a
// fake predictor whose mistakes are chosen here, the majority baseline counted by hand, and a
// short end-to-end run of a small bidirectional iRNN that beats the baseline clearly.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeConfig } from '../src/config/index.js';
import { PHONE_CLASS_OF, PHONES, SIL } from '../src/data/phonemes.js';
import { Db } from '../src/store/db.js';
import { getRun } from '../src/store/runs.js';
import { speechTask, utteranceBatch } from '../src/tasks/speech.js';
import type { Predict, Task } from '../src/tasks/task.js';
import { train } from '../src/train/run.js';
import { prepareSpeech, type SpeechSettings } from '../src/data/speech.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'speech-task-'));
const cfg = {
  name: 'speech', data_seed: 3, train_utterances: 12, valid_utterances: 4, test_utterances: 6,
  train_speakers: 3, valid_speakers: 2, test_speakers: 2, min_words: 1, max_words: 3,
  snr_db: 25, noise: 'white', deltas: true, delta_deltas: true, eval_batch_size: 4,
};
const settings: SpeechSettings = {
  dataSeed: 3, utterances: { train: 12, valid: 4, test: 6 }, speakers: { train: 3, valid: 2, test: 2 },
  minWords: 1, maxWords: 3, snrDb: 25, noise: 'white', deltas: true, deltaDeltas: true,
};

/** Predicts the true phone of every frame (read from the batch), except vowels, called silence. */
const vowelsAsSilence: Predict = (batch) => {
  const O = PHONES.length;
  const out = new Float32Array(batch.batchSize * batch.seqLen * O);
  batch.y.forEach((y, i) => (out[i * O + (PHONE_CLASS_OF[y] === 'vowel' ? SIL : y)] = 1));
  return { out, lossSum: 0, count: 1 };
};

test('a batch pads utterances to the longest one, with mask and lengths marking the real frames', async (t) => {
  const c = await prepareSpeech({ ...settings, cacheDir });
  const s = c.splits.train;
  const F = c.featureSize;
  t.is(F, 120);
  const ids = [2, 0, 5];
  const b = utteranceBatch(s, ids, F);
  const lens = ids.map((i) => s.offsets[i + 1]! - s.offsets[i]!);
  t.is(b.seqLen, Math.max(...lens));
  t.deepEqual(Array.from(b.lengths!), lens);
  ids.forEach((u, r) => {
    const real = Array.from(b.mask!.subarray(r * b.seqLen, (r + 1) * b.seqLen));
    t.deepEqual(real, real.map((_, j) => (j < lens[r]! ? 1 : 0)));
    t.deepEqual(b.x.subarray(r * b.seqLen * F, (r * b.seqLen + lens[r]!) * F), s.features.subarray(s.offsets[u]! * F, s.offsets[u + 1]! * F));
    t.true(b.x.subarray((r * b.seqLen + lens[r]!) * F, (r + 1) * b.seqLen * F).every((v) => v === 0), 'padding is zero');
    t.deepEqual(Array.from(b.y.subarray(r * b.seqLen, r * b.seqLen + lens[r]!)), Array.from(s.labels.subarray(s.offsets[u]!, s.offsets[u + 1]!)));
  });
});

test('FER counts real frames only; the breakdown puts every error where it was made', async (t) => {
  const task = (await speechTask(cfg, { seed: 0, cacheDir })) as Task;
  const c = await prepareSpeech({ ...settings, cacheDir });
  const labels = c.splits.test.labels;
  const vowels = labels.filter((l) => PHONE_CLASS_OF[l] === 'vowel').length;
  t.true(vowels > 0);
  const m = task.evaluate('test', vowelsAsSilence);
  t.is(m['test_fer'], vowels / labels.length);
  const d = task.details!(vowelsAsSilence) as {
    test_fer_by_class: Record<string, { frames: number; fer: number | null }>;
    test_fer_by_phone: Record<string, { frames: number; fer: number | null }>;
    test_class_fer: number;
  };
  t.deepEqual(d.test_fer_by_class['vowel'], { frames: vowels, fer: 1 });
  t.is(d.test_fer_by_class['silence']!.fer, 0);
  t.is(d.test_fer_by_class['stop']!.fer ?? 0, 0);
  t.is(d.test_class_fer, vowels / labels.length);
  t.is(Object.values(d.test_fer_by_phone).reduce((a, p) => a + p.frames, 0), labels.length);
  t.is(d.test_fer_by_phone['aa']!.fer ?? 1, 1);
  // The baseline: the commonest training label, counted here, applied to the test frames.
  const counts = new Array<number>(PHONES.length).fill(0);
  for (const l of c.splits.train.labels) counts[l]!++;
  const top = counts.indexOf(Math.max(...counts));
  t.is(task.baseline!.value, labels.filter((l) => l !== top).length / labels.length);
  t.is(task.info['feature_size'], 120);
  t.is(task.info['test_frames'], labels.length);
});

test.serial('a short run of a small bidirectional iRNN beats the majority-class baseline clearly', async (t) => {
  const db = await Db.open(':memory:');
  const resolved = composeConfig({
    overrides: ['task=speech', 'task.train_utterances=80', 'task.valid_utterances=10', 'task.test_utterances=30',
      'task.train_speakers=8', 'task.valid_speakers=2', 'task.test_speakers=4', 'task.min_words=1', 'task.max_words=3',
      'model=irnn', 'model.identity_scale=0.01', 'model.input_std=0.1', 'model.hidden=32', 'model.bidirectional=true',
      'optimizer=adam', 'optimizer.lr=0.01', 'train.batch_size=8', 'train.steps=100', 'train.eval_every=100'],
  });
  const r = await train({ resolved, db, cacheDir });
  t.is(r.status, 'finished');
  const fer = r.metrics['test_fer']!;
  const run = (await getRun(db, r.runId))!;
  const baseline = (run.taskInfo?.['baseline'] as { value: number }).value; // stored with the run
  t.log(`test_fer ${fer.toFixed(3)} after 100 steps; majority baseline ${baseline.toFixed(3)}`);
  t.true(fer < baseline - 0.15, `test_fer ${fer} vs baseline ${baseline}`);
  t.is(run.taskInfo?.['feature_size'], 80);
  const byClass = run.details?.['test_fer_by_class'] as Record<string, { frames: number }>;
  t.deepEqual(Object.keys(byClass), ['vowel', 'stop', 'fricative', 'nasal', 'liquid_glide', 'silence']);
  t.is(Object.values(byClass).reduce((a, c) => a + c.frames, 0), run.taskInfo?.['test_frames'] as number);
  await db.close();
});
