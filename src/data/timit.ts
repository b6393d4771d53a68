// TIMIT as a frame-labelled speech corpus: .PHN segmentations parsed and checked, one label per
// 10 ms frame (the segment under the frame's centre sample, in the chosen label set), the same
// log-mel features the synthetic corpus has, and a disk cache keyed by the files' sizes and times.
// Every file is checked (headers and labels) before any audio is read or anything is cached.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { SPLIT_NAMES, type SplitName } from './corpus.js';
import { computeFeatures, featureSize, frameCentre, frameCount } from './features.js';
import { probeSphere, readSphere } from './sphere.js';
import { NO_LABEL, readSpeechCache, writeSpeechCache, type SpeechData, type SpeechSplit } from './speech-cache.js';
import { SAMPLE_RATE } from './synth.js';
import { TIMIT_LABEL_SETS, TIMIT_PHONES, type TimitLabels } from './timit-phones.js';
import { timitLayout, type TimitSpeaker, type TimitUtterance } from './timit-layout.js';

export interface PhoneSegment {
  /** First sample. */
  start: number;
  /** One past the last sample. */
  end: number;
  /** One of TIMIT_PHONES. */
  label: string;
}

const KNOWN = new Set<string>(TIMIT_PHONES);

/** Parses a .PHN file's text: one `start end label` line per segment, in samples, in order.
 *  `samples` is the audio's length: a segment that starts beyond it belongs to other audio. */
export function parsePhn(text: string, file: string, samples: number): PhoneSegment[] {
  const out: PhoneSegment[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const bad = (why: string) => new UserError(`${file}: line ${i + 1} ${why}`);
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 3) throw bad(`has ${parts.length} fields, not 'start end phone'`);
    const [a, b, raw] = parts as [string, string, string];
    if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) throw bad(`'${a} ${b}' are not sample numbers`);
    const start = Number(a);
    const end = Number(b);
    const label = raw.toLowerCase();
    if (!KNOWN.has(label)) throw bad(`'${raw}' is not one of TIMIT's 61 phone labels`);
    if (end < start) throw bad(`ends (${end}) before it starts (${start})`);
    const prev = out.at(-1);
    if (prev && start < prev.start) throw bad(`starts at ${start}, before the segment above it (${prev.start})`);
    if (start >= samples) throw bad(`starts at sample ${start}, after the audio's ${samples} samples`);
    out.push({ start, end, label });
  });
  if (out.length === 0) throw new UserError(`${file}: no phone segments`);
  return out;
}

/** [frames] class ids: the segment that holds each frame's centre sample (the last one, where
 *  segments overlap), folded by `classOf`; NO_LABEL for q and for frames no segment covers. */
export function timitFrameLabels(segments: PhoneSegment[], frames: number, classOf: (label: string) => number): Uint8Array {
  const out = new Uint8Array(frames).fill(NO_LABEL);
  for (let t = 0; t < frames; t++) {
    const c = frameCentre(t);
    for (let s = segments.length - 1; s >= 0; s--) {
      const seg = segments[s]!;
      if (seg.start > c) continue;
      if (seg.end > c) {
        const id = classOf(seg.label);
        if (id >= 0) out[t] = id;
      }
      break;
    }
  }
  return out;
}

export interface TimitSettings {
  path: string;
  labels: TimitLabels;
  deltas: boolean;
  deltaDeltas: boolean;
}

export interface TimitCorpus extends SpeechData<TimitSpeaker> {
  root: string;
  cacheFile: string;
  fromCache: boolean;
}

/** Bumped whenever parsing, labelling or features change, so that old caches are not reused. */
const READER_VERSION = 1;

interface Checked {
  utt: TimitUtterance;
  samples: number;
  frames: number;
  segments: PhoneSegment[];
}

/** Pass 1: every header and label file of a split, checked, and the split's frame count. */
function checkSplit(utterances: TimitUtterance[]): { items: Checked[]; frames: number } {
  let frames = 0;
  const items = utterances.map((utt) => {
    const { count } = probeSphere(utt.wav, { sampleRate: SAMPLE_RATE });
    const n = frameCount(count);
    if (n === 0) throw new UserError(`${utt.wav}: ${count} samples, shorter than one 25 ms frame`);
    const segments = parsePhn(readFileSync(utt.phn, 'latin1'), utt.phn, count);
    frames += n;
    return { utt, samples: count, frames: n, segments };
  });
  return { items, frames };
}

/** Pass 2: the features and labels of a checked split, written straight into its arrays. */
function readSplit(o: { checked: { items: Checked[]; frames: number }; settings: TimitSettings; speakers: TimitSpeaker[]; onUtterance: () => void }): SpeechSplit<TimitSpeaker> {
  const { items, frames } = o.checked;
  const F = featureSize(o.settings);
  const set = TIMIT_LABEL_SETS[o.settings.labels];
  const features = new Float32Array(frames * F);
  const labels = new Uint8Array(frames);
  const offsets = new Int32Array(items.length + 1);
  const speakerIds = new Int32Array(items.length);
  items.forEach((it, u) => {
    const { samples } = readSphere(it.utt.wav, { sampleRate: SAMPLE_RATE });
    if (samples.length !== it.samples) throw new UserError(`${it.utt.wav}: changed while it was being read`);
    const f = computeFeatures(samples, { deltas: o.settings.deltas, deltaDeltas: o.settings.deltaDeltas });
    features.set(f.data, offsets[u]! * F);
    labels.set(timitFrameLabels(it.segments, f.frames, set.classOf), offsets[u]!);
    offsets[u + 1] = offsets[u]! + f.frames;
    speakerIds[u] = it.utt.speaker;
    o.onUtterance();
  });
  return { n: items.length, features, labels, offsets, speakerIds, texts: items.map((it) => it.utt.name), speakers: o.speakers };
}

/** Identifies the data and settings: every used file's path, size and modification time. */
function cacheKey(root: string, utterances: TimitUtterance[], s: TimitSettings): string {
  const h = createHash('sha256').update(JSON.stringify([READER_VERSION, s.labels, s.deltas, s.deltaDeltas]));
  for (const u of utterances) {
    for (const f of [u.wav, u.phn]) {
      const st = statSync(f);
      h.update(`${f.slice(root.length)}:${st.size}:${st.mtimeMs}\n`);
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** The corpus for these settings: from the cache when the files are unchanged, else read and cached. */
export function prepareTimit(o: TimitSettings & { cacheDir: string; onProgress?: (done: number, total: number) => void }): TimitCorpus {
  const layout = timitLayout(o.path);
  const all = SPLIT_NAMES.flatMap((s) => layout.splits[s].utterances);
  const key = cacheKey(layout.root, all, o);
  const cacheFile = resolve(o.cacheDir, 'speech', `timit-${key}.bin`);
  const cached = readSpeechCache<TimitSpeaker>(cacheFile, key);
  if (cached) return { ...cached, root: layout.root, cacheFile, fromCache: true };
  const checked = {} as Record<SplitName, ReturnType<typeof checkSplit>>;
  for (const s of SPLIT_NAMES) checked[s] = checkSplit(layout.splits[s].utterances);
  let done = 0;
  const onUtterance = () => o.onProgress?.(++done, all.length);
  const splits = {} as Record<SplitName, SpeechSplit<TimitSpeaker>>;
  for (const s of SPLIT_NAMES) splits[s] = readSplit({ checked: checked[s], settings: o, speakers: layout.splits[s].speakers, onUtterance });
  const data: SpeechData<TimitSpeaker> = { key, featureSize: featureSize(o), splits };
  writeSpeechCache(cacheFile, data);
  return { ...data, root: layout.root, cacheFile, fromCache: false };
}
