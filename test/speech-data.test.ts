// The synthetic speech data path without a model: synthesizer (formants, boundaries, noise level),
// features (frame count, deltas, mel placement), corpus generation (determinism, disjoint
// speakers, labels, cache) and the WAV writer. References are definitions computed here: LPC
// spectra, the delta regression formula, the SNR and the RIFF layout.
import test from 'ava';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeFeatures, deltas, frameCount, hzToMel, logMel, melToHz, N_MELS } from '../src/data/features.js';
import { loadLexicon, PHONE_INDEX, PHONE_SPECS, PHONES, SIL } from '../src/data/phonemes.js';
import { frameLabels, makeUtterance, prepareSpeech, splitSpeakers, type SpeechSettings } from '../src/data/speech.js';
import { loadPhrases } from '../src/data/speech-text.js';
import type { Speaker } from '../src/data/speaker.js';
import { SAMPLE_RATE, synthesize } from '../src/data/synth.js';
import { encodeWav, readWavHeader } from '../src/data/wav.js';
import { isUserError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';

const tiny: SpeechSettings = {
  dataSeed: 7, utterances: { train: 6, valid: 2, test: 3 }, speakers: { train: 3, valid: 1, test: 2 },
  minWords: 1, maxWords: 3, snrDb: 20, noise: 'mixed', deltas: true, deltaDeltas: false,
};
const tmp = () => mkdtempSync(join(tmpdir(), 'speech-test-'));
const male: Speaker = { id: 0, f0: 110, tract: 1, formants: [1, 1, 1], rate: 1, jitter: 0.015, shimmer: 0.05, breath: 0.05, tilt: 0.4 };

/** Peak frequency of the all-pole (LPC, order 16, autocorrelation method) envelope in [lo, hi]. */
function lpcPeak(x: Float32Array, lo: number, hi: number): number {
  const order = 16;
  const n = x.length;
  const y = Float64Array.from(x, (v, i) => (v - 0.97 * (i > 0 ? x[i - 1]! : 0)) * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (n - 1))));
  const r = Array.from({ length: order + 1 }, (_, k) => y.reduce((s, v, i) => (i >= k ? s + v * y[i - k]! : s), 0));
  let a = [1, ...new Array<number>(order).fill(0)];
  let err = r[0]!;
  for (let i = 1; i <= order; i++) {
    let acc = r[i]!;
    for (let j = 1; j < i; j++) acc += a[j]! * r[i - j]!;
    const k = -acc / err;
    a = a.map((v, j) => (j === i ? k : j > 0 && j < i ? v + k * a[i - j]! : v));
    err *= 1 - k * k;
  }
  let best = -1;
  let at = lo;
  for (let f = lo; f <= hi; f += 5) {
    const w = (2 * Math.PI * f) / SAMPLE_RATE;
    const re = a.reduce((s, c, k) => s + c * Math.cos(w * k), 0);
    const im = a.reduce((s, c, k) => s - c * Math.sin(w * k), 0);
    const p = 1 / (re * re + im * im);
    if (p > best) [best, at] = [p, f];
  }
  return at;
}

test('frames labelled with a vowel have their spectral peak near the vowel F1 target, scaled by the speaker', (t) => {
  const speakers = [male, { ...male, f0: 140, tract: 1.1 }];
  for (const speaker of speakers) {
    const estimates: Record<string, number> = {};
    for (const v of ['iy', 'ih', 'eh', 'ae', 'ah', 'aa', 'ao', 'uh', 'uw', 'er']) {
      const utt = synthesize({ phones: [SIL, PHONE_INDEX[v]!, SIL], speaker, rng: new Rng(3), snrDb: null, noise: 'white', durationsMs: [100, 150, 100] });
      const labels = frameLabels(utt, frameCount(utt.samples.length));
      const frames = [...labels.keys()].filter((i) => labels[i] === PHONE_INDEX[v]);
      const centre = frames[frames.length >> 1]! * 160 + 200;
      const f1 = PHONE_SPECS[v as 'iy'].formants![0] * speaker.tract;
      const peak = lpcPeak(utt.samples.subarray(centre - 400, centre + 400), 150, 1100 * speaker.tract);
      // Each token jitters its formants by 3% (s.d.), so 20% is over 5 s.d.; F1 targets are 20-40% apart.
      t.true(Math.abs(peak - f1) / f1 < 0.2, `${v} (tract ${speaker.tract}): peak ${peak} Hz, F1 target ${f1.toFixed(0)} Hz`);
      estimates[v] = peak;
    }
    t.true(estimates['iy']! < estimates['eh']! && estimates['eh']! < estimates['aa']!, 'close vowels have lower F1 than open ones');
  }
});

test('segments tile the utterance and frame labels follow the phone sequence without gaps', (t) => {
  const phrases = loadPhrases().train;
  const speakers = splitSpeakers(tiny).train;
  for (let u = 0; u < 4; u++) {
    const utt = makeUtterance({ settings: tiny, split: 'train', u, speakers, phrases });
    t.is(utt.bounds[0], 0);
    t.is(utt.bounds[utt.bounds.length - 1], utt.samples.length);
    for (let i = 0; i + 1 < utt.bounds.length; i++) t.true(utt.bounds[i + 1]! > utt.bounds[i]!, 'no empty segment');
    const labels = frameLabels(utt, frameCount(utt.samples.length));
    // Every phone lasts over 20 ms (> 2 hops), so collapsing repeats gives the phone sequence back.
    const collapse = (xs: ArrayLike<number>) => Array.from(xs).filter((x, i, a) => i === 0 || a[i - 1] !== x);
    t.deepEqual(collapse(labels), collapse(utt.phones));
    t.is(utt.phones[0], SIL);
    t.is(utt.phones[utt.phones.length - 1], SIL);
    const lex = loadLexicon();
    t.deepEqual(collapse(utt.phones.filter((p) => p !== SIL)), collapse(utt.words.flatMap((w) => [...lex.get(w)!.phones])));
  }
});

test('features: T = 1 + floor((N - 400) / 160) frames of 40, 80 or 120 normalised numbers', (t) => {
  const utt = synthesize({ phones: [SIL, PHONE_INDEX['s']!, PHONE_INDEX['aa']!, SIL], speaker: male, rng: new Rng(1), snrDb: 30, noise: 'white' });
  const N = utt.samples.length;
  for (const [o, F] of [[{ deltas: false, deltaDeltas: false }, 40], [{ deltas: true, deltaDeltas: false }, 80], [{ deltas: true, deltaDeltas: true }, 120]] as const) {
    const f = computeFeatures(utt.samples, o);
    t.is(f.frames, 1 + Math.floor((N - 400) / 160));
    t.is(f.size, F);
    t.is(f.data.length, f.frames * F);
    for (const d of [0, F - 1]) {
      let mean = 0;
      let sq = 0;
      for (let i = 0; i < f.frames; i++) mean += f.data[i * F + d]! / f.frames;
      for (let i = 0; i < f.frames; i++) sq += (f.data[i * F + d]! - mean) ** 2 / f.frames;
      t.true(Math.abs(mean) < 1e-4 && Math.abs(sq - 1) < 1e-3, `column ${d}: mean ${mean}, variance ${sq}`);
    }
  }
  t.is(frameCount(399), 0);
  t.is(frameCount(400), 1);
  t.is(frameCount(559), 1);
  t.is(frameCount(560), 2);
});

test('deltas follow the regression formula over +-2 frames with repeated edges', (t) => {
  // c_t = t^2: the interior delta is the derivative 2t; at t = 0 it is (1*(1-0) + 2*(4-0)) / 10.
  const d = deltas(Float32Array.from([0, 1, 4, 9, 16]), 5, 1);
  t.is(d[2], 4);
  t.true(Math.abs(d[0]! - 0.9) < 1e-6);
  t.true(Math.abs(d[4]! - (1 * (16 - 9) + 2 * (16 - 4)) / 10) < 1e-6);
});

test('a pure tone lands in the mel filter centred nearest to it', (t) => {
  t.true(Math.abs(hzToMel(1000) - 1000) < 0.1, 'mel(1000 Hz) = 1000');
  t.true(Math.abs(melToHz(hzToMel(3210)) - 3210) < 1e-6);
  const top = hzToMel(SAMPLE_RATE / 2);
  for (const hz of [300, 1000, 2500, 6000]) {
    const tone = Float32Array.from({ length: 4000 }, (_, i) => Math.sin((2 * Math.PI * hz * i) / SAMPLE_RATE));
    const mel = logMel(tone);
    const row = Array.from(mel.subarray(5 * N_MELS, 6 * N_MELS));
    const loudest = row.indexOf(Math.max(...row));
    const nearest = [...row.keys()].reduce((b, m) => (Math.abs(melToHz((top * (m + 1)) / (N_MELS + 1)) - hz) < Math.abs(melToHz((top * (b + 1)) / (N_MELS + 1)) - hz) ? m : b), 0);
    t.is(loudest, nearest, `${hz} Hz`);
  }
});

test('noise is added at the requested SNR, and pink noise has equal power per octave', (t) => {
  const phones = [SIL, PHONE_INDEX['aa']!, PHONE_INDEX['s']!, PHONE_INDEX['iy']!, SIL];
  const clean = synthesize({ phones, speaker: male, rng: new Rng(9), snrDb: null, noise: 'white' });
  for (const noise of ['white', 'pink'] as const) {
    const noisy = synthesize({ phones, speaker: male, rng: new Rng(9), snrDb: 10, noise });
    let ps = 0;
    let count = 0;
    let pn = 0;
    for (let i = 0; i < clean.samples.length; i++) pn += (noisy.samples[i]! - clean.samples[i]!) ** 2 / clean.samples.length;
    for (let i = clean.bounds[1]!; i < clean.bounds[4]!; i++, count++) ps += clean.samples[i]! ** 2;
    const snr = 10 * Math.log10(ps / count / pn);
    t.true(Math.abs(snr - 10) < 0.5, `${noise}: SNR ${snr.toFixed(2)} dB`);
  }
  // Pink: the 125-250 Hz octave holds about as much power as the 2-4 kHz octave (white: 1/16).
  const silent = synthesize({ phones: [SIL, SIL, SIL], speaker: male, rng: new Rng(2), snrDb: 0, noise: 'pink', durationsMs: [800, 800, 800] });
  const band = (lo: number, hi: number) => {
    let p = 0;
    const x = silent.samples;
    for (let f = lo; f < hi; f += 5) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < x.length; i++) {
        re += x[i]! * Math.cos((2 * Math.PI * f * i) / SAMPLE_RATE);
        im -= x[i]! * Math.sin((2 * Math.PI * f * i) / SAMPLE_RATE);
      }
      p += re * re + im * im;
    }
    return p;
  };
  const ratio = band(125, 250) / band(2000, 4000) * 16; // per-Hz density ratio x bandwidth ratio
  t.true(ratio > 8 && ratio < 32, `low/high power-per-Hz ratio ${ratio.toFixed(1)} (pink: 16)`);
});

test('the corpus is deterministic for a seed, differs across seeds, and round-trips through its cache', async (t) => {
  const dirA = tmp();
  const a = await prepareSpeech({ ...tiny, cacheDir: dirA });
  const b = await prepareSpeech({ ...tiny, cacheDir: tmp() });
  t.false(a.fromCache);
  for (const s of ['train', 'valid', 'test'] as const) {
    t.deepEqual(a.splits[s].features, b.splits[s].features);
    t.deepEqual(a.splits[s].labels, b.splits[s].labels);
    t.deepEqual(a.splits[s].texts, b.splits[s].texts);
  }
  const again = await prepareSpeech({ ...tiny, cacheDir: dirA });
  t.true(again.fromCache);
  t.is(again.cacheFile, a.cacheFile);
  t.deepEqual(again.splits, a.splits);
  const other = await prepareSpeech({ ...tiny, dataSeed: 8, cacheDir: dirA });
  t.not(other.cacheFile, a.cacheFile);
  t.notDeepEqual(other.splits.train.texts, a.splits.train.texts);
  t.notDeepEqual(other.splits.train.features.subarray(0, 800), a.splits.train.features.subarray(0, 800));
  // Utterance u can be re-made alone and gives the cached frames.
  const utt = makeUtterance({ settings: tiny, split: 'valid', u: 1, speakers: splitSpeakers(tiny).valid, phrases: loadPhrases().valid });
  const f = computeFeatures(utt.samples, tiny);
  const v = a.splits.valid;
  t.deepEqual(f.data, v.features.slice(v.offsets[1]! * f.size, v.offsets[2]! * f.size));
  t.deepEqual(frameLabels(utt, f.frames), v.labels.slice(v.offsets[1]!, v.offsets[2]!));
  // A damaged cache file is a user error naming the file.
  writeFileSync(a.cacheFile, readFileSync(a.cacheFile).subarray(0, 1000));
  const err = await t.throwsAsync(prepareSpeech({ ...tiny, cacheDir: dirA }));
  t.true(isUserError(err) && err.message.includes(a.cacheFile), err?.message);
});

test('speakers are disjoint across splits and each split uses all of its own', async (t) => {
  const c = await prepareSpeech({ ...tiny, cacheDir: tmp() });
  const ids = (s: 'train' | 'valid' | 'test') => new Set(c.splits[s].speakerIds);
  t.is(ids('train').size, 3);
  t.is(ids('valid').size, 1);
  t.is(ids('test').size, 2);
  const all = [...ids('train'), ...ids('valid'), ...ids('test')];
  t.is(new Set(all).size, all.length);
  const voices = ['train', 'valid', 'test'].flatMap((s) => c.splits[s as 'train'].speakers.map((p) => `${p.f0}/${p.tract}`));
  t.is(new Set(voices).size, voices.length, 'no two speakers share a voice');
  for (const s of ['train', 'valid', 'test'] as const) {
    const sp = c.splits[s];
    t.is(sp.offsets[sp.n], sp.labels.length);
    t.true(sp.labels.every((l) => l < PHONES.length));
  }
});

test('WAV: a canonical 16-bit PCM mono header and clipped little-endian samples', (t) => {
  const buf = encodeWav(Float32Array.from([0, 0.5, -1, 2]), 16000);
  t.is(buf.length, 44 + 8);
  t.deepEqual(readWavHeader(buf), { format: 1, channels: 1, sampleRate: 16000, byteRate: 32000, blockAlign: 2, bitsPerSample: 16, dataBytes: 8 });
  t.is(buf.readUInt32LE(4), 36 + 8);
  t.deepEqual([0, 1, 2, 3].map((i) => buf.readInt16LE(44 + 2 * i)), [0, 16384, -32767, 32767]);
});

test('example utterances: one WAV and one label track per utterance, the labels spanning the audio', async (t) => {
  const dir = tmp();
  await prepareSpeech({ ...tiny, cacheDir: tmp(), examples: 2, examplesDir: dir });
  t.deepEqual(readdirSync(dir).sort(), ['index.tsv', 'train-000.txt', 'train-000.wav', 'train-001.txt', 'train-001.wav']);
  const wav = readFileSync(join(dir, 'train-001.wav'));
  const seconds = readWavHeader(wav).dataBytes / 2 / SAMPLE_RATE;
  const rows = readFileSync(join(dir, 'train-001.txt'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  t.is(Number(rows[0]![0]), 0);
  t.true(Math.abs(Number(rows[rows.length - 1]![1]) - seconds) < 1e-4);
  for (let i = 1; i < rows.length; i++) t.is(rows[i]![0], rows[i - 1]![1], 'contiguous');
  t.true(rows.every((r) => PHONES.includes(r[2] as 'sil')));
});
