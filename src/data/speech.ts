// The synthetic speech corpus: Moby Dick phrases -> CMUdict phones -> formant synthesis by
// per-split speakers -> log-mel features with one phone label per frame. Deterministic from
// `dataSeed` (every utterance has its own random stream, so any one can be re-synthesized alone),
// cached on disk by a hash of the settings; can also write example utterances as WAV + labels.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SPLIT_NAMES, type SplitName } from './corpus.js';
import { computeFeatures, featureSize, frameCentre } from './features.js';
import { PHONES } from './phonemes.js';
import { readSpeechCache, writeSpeechCache, type SpeechData, type SpeechSplit } from './speech-cache.js';
import { drawWords, loadPhrases, textFingerprint, wordsToPhones, type Phrase } from './speech-text.js';
import { drawSpeaker, type Speaker } from './speaker.js';
import { SAMPLE_RATE, synthesize, type Synthesized } from './synth.js';
import { encodeWav } from './wav.js';
import { canonicalJson } from '../config/tree.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

export type { SpeechSplit } from './speech-cache.js';
export type SpeechNoise = 'white' | 'pink' | 'mixed';

export interface SpeechSettings {
  dataSeed: number;
  utterances: Record<SplitName, number>;
  speakers: Record<SplitName, number>;
  minWords: number;
  maxWords: number;
  /** Noise against the speech power in dB; null = clean audio. */
  snrDb: number | null;
  noise: SpeechNoise;
  deltas: boolean;
  deltaDeltas: boolean;
}

export interface SpeechCorpus extends SpeechData {
  settings: SpeechSettings;
  cacheFile: string;
  fromCache: boolean;
  /** Where example utterances were written, or null. */
  examplesDir: string | null;
}

/** Bumped whenever synthesis, text or features change, so that old caches are not reused. */
const GENERATOR_VERSION = 2;

export function checkSettings(s: SpeechSettings): void {
  for (const split of SPLIT_NAMES) {
    if (s.speakers[split] > s.utterances[split]) {
      throw new UserError(`task.${split}_speakers=${s.speakers[split]} is more than task.${split}_utterances=${s.utterances[split]}`);
    }
  }
  if (s.minWords > s.maxWords) throw new UserError(`task.min_words=${s.minWords} is more than task.max_words=${s.maxWords}`);
}

export function speechCacheKey(s: SpeechSettings): string {
  const what = canonicalJson({ version: GENERATOR_VERSION, text: textFingerprint(), settings: s });
  return createHash('sha256').update(what).digest('hex').slice(0, 16);
}

/** Speakers of every split; ids are numbered train first, then valid, then test, so never shared. */
export function splitSpeakers(s: SpeechSettings): Record<SplitName, Speaker[]> {
  const out = {} as Record<SplitName, Speaker[]>;
  let next = 0;
  for (const split of SPLIT_NAMES) {
    const rng = new Rng(s.dataSeed, `speech/${split}/speakers`);
    out[split] = Array.from({ length: s.speakers[split] }, () => drawSpeaker(rng, next++));
  }
  return out;
}

export interface Utterance extends Synthesized {
  words: string[];
  speaker: Speaker;
}

/** Utterance `u` of a split: the speakers take turns; words, durations and noise come from the
 *  utterance's own stream. */
export function makeUtterance(o: { settings: SpeechSettings; split: SplitName; u: number; speakers: Speaker[]; phrases: Phrase[] }): Utterance {
  const { settings: s } = o;
  const rng = new Rng(s.dataSeed, `speech/${o.split}/${o.u}`);
  const speaker = o.speakers[o.u % o.speakers.length]!;
  const words = drawWords({ phrases: o.phrases, minWords: s.minWords, maxWords: s.maxWords, rng });
  const { phones, reduced } = wordsToPhones(words, rng);
  const noise = s.noise === 'mixed' ? (rng.uniform() < 0.5 ? 'white' : 'pink') : s.noise;
  return { ...synthesize({ phones, reduced, speaker, rng, snrDb: s.snrDb, noise }), words, speaker };
}

/** [T] class id of every frame: the phone whose segment holds the frame's centre sample. */
export function frameLabels(utt: Synthesized, frames: number): Uint8Array {
  const out = new Uint8Array(frames);
  let seg = 0;
  for (let t = 0; t < frames; t++) {
    const c = frameCentre(t);
    while (utt.bounds[seg + 1]! <= c) seg++;
    out[t] = utt.phones[seg]!;
  }
  return out;
}

function generateSplit(o: { settings: SpeechSettings; split: SplitName; speakers: Speaker[]; phrases: Phrase[]; onUtterance: () => void }): SpeechSplit {
  const n = o.settings.utterances[o.split];
  const feats: Float32Array[] = [];
  const labels: Uint8Array[] = [];
  const offsets = new Int32Array(n + 1);
  const speakerIds = new Int32Array(n);
  const texts: string[] = [];
  for (let u = 0; u < n; u++) {
    const utt = makeUtterance({ ...o, u });
    const f = computeFeatures(utt.samples, { deltas: o.settings.deltas, deltaDeltas: o.settings.deltaDeltas });
    feats.push(f.data);
    labels.push(frameLabels(utt, f.frames));
    offsets[u + 1] = offsets[u]! + f.frames;
    speakerIds[u] = utt.speaker.id;
    texts.push(utt.words.join(' '));
    o.onUtterance();
  }
  return { n, features: concat(Float32Array, feats), labels: concat(Uint8Array, labels), offsets, speakerIds, texts, speakers: o.speakers };
}

function concat<A extends Float32Array | Uint8Array>(Ctor: new (n: number) => A, parts: A[]): A {
  const out = new Ctor(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface PrepareOptions extends SpeechSettings {
  cacheDir: string;
  /** Write this many training utterances as WAV + label files to `examplesDir`. */
  examples?: number;
  examplesDir?: string;
  /** Called after each generated utterance (not when the corpus comes from the cache). */
  onProgress?: (done: number, total: number) => void;
}

/** The corpus for these settings: from the cache when present, else generated and cached. */
export async function prepareSpeech(opts: PrepareOptions): Promise<SpeechCorpus> {
  const settings: SpeechSettings = {
    dataSeed: opts.dataSeed, utterances: opts.utterances, speakers: opts.speakers, minWords: opts.minWords,
    maxWords: opts.maxWords, snrDb: opts.snrDb, noise: opts.noise, deltas: opts.deltas, deltaDeltas: opts.deltaDeltas,
  };
  checkSettings(settings);
  const key = speechCacheKey(settings);
  const cacheFile = resolve(opts.cacheDir, 'speech', `speech-${key}.bin`);
  let data = readSpeechCache(cacheFile, key);
  const fromCache = data !== null;
  const needText = !data || (opts.examples ?? 0) > 0;
  const phrases = needText ? loadPhrases() : null;
  for (const split of phrases ? SPLIT_NAMES : []) {
    const longest = phrases![split].reduce((m, p) => Math.max(m, p.length), 0);
    if (longest < settings.minWords) {
      throw new UserError(`task.min_words=${settings.minWords}: the longest phrase of the ${split} text has ${longest} words`);
    }
  }
  const speakers = splitSpeakers(settings);
  if (!data) {
    const total = SPLIT_NAMES.reduce((a, s) => a + settings.utterances[s], 0);
    let done = 0;
    const onUtterance = () => opts.onProgress?.(++done, total);
    const splits = {} as Record<SplitName, SpeechSplit>;
    for (const split of SPLIT_NAMES) {
      splits[split] = generateSplit({ settings, split, speakers: speakers[split], phrases: phrases![split], onUtterance });
    }
    data = { key, featureSize: featureSize(settings), splits };
    writeSpeechCache(cacheFile, data);
  }
  let examplesDir: string | null = null;
  if (opts.examples && opts.examples > 0) {
    examplesDir = resolve(opts.examplesDir ?? join(opts.cacheDir, 'speech', `examples-${key}`));
    writeExamples({ settings, speakers: speakers.train, phrases: phrases!.train, count: opts.examples, dir: examplesDir });
  }
  return { ...data, settings, cacheFile, fromCache, examplesDir };
}

/** Writes train-000.wav + train-000.txt (Audacity label track: start and end in seconds, phone)
 *  for the first `count` training utterances, and index.tsv listing speaker and words. */
export function writeExamples(o: { settings: SpeechSettings; speakers: Speaker[]; phrases: Phrase[]; count: number; dir: string }): string[] {
  mkdirSync(o.dir, { recursive: true });
  const count = Math.min(o.count, o.settings.utterances.train);
  const index = ['file\tspeaker\tf0_hz\ttract_scale\tseconds\twords'];
  const files: string[] = [];
  for (let u = 0; u < count; u++) {
    const utt = makeUtterance({ settings: o.settings, split: 'train', u, speakers: o.speakers, phrases: o.phrases });
    const name = `train-${String(u).padStart(3, '0')}`;
    writeFileSync(join(o.dir, `${name}.wav`), encodeWav(utt.samples, SAMPLE_RATE));
    const lines = Array.from(utt.phones, (p, i) => `${(utt.bounds[i]! / SAMPLE_RATE).toFixed(4)}\t${(utt.bounds[i + 1]! / SAMPLE_RATE).toFixed(4)}\t${PHONES[p]}`);
    writeFileSync(join(o.dir, `${name}.txt`), `${lines.join('\n')}\n`);
    const sp = utt.speaker;
    index.push(`${name}.wav\t${sp.id}\t${sp.f0.toFixed(0)}\t${sp.tract.toFixed(3)}\t${(utt.samples.length / SAMPLE_RATE).toFixed(2)}\t${utt.words.join(' ')}`);
    files.push(join(o.dir, `${name}.wav`));
  }
  writeFileSync(join(o.dir, 'index.tsv'), `${index.join('\n')}\n`);
  return files;
}
