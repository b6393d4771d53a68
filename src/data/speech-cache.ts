// A speech corpus on disk (synthesized, or read from TIMIT): one file per settings hash, holding a
// JSON header and the raw typed arrays of each split. Written to a temporary name and renamed, so
// parallel runs of a sweep never read half a file. Knows the layout only, not how the data was made.
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { writeCacheFile } from './cache-file.js';
import { SPLIT_NAMES, type SplitName } from './corpus.js';
import type { Speaker } from './speaker.js';

/** The label of a frame that has none (TIMIT's glottal stop q, a gap between segments): such a
 *  frame is input but neither trained on nor scored. */
export const NO_LABEL = 255;

/** One split; `S` describes a speaker (the synthesizer's parameters, or a TIMIT speaker's name). */
export interface SpeechSplit<S = Speaker> {
  /** Number of utterances. */
  n: number;
  /** [frames, featureSize] features of all utterances, one after the other. */
  features: Float32Array;
  /** [frames] class ids of the corpus's label set, or NO_LABEL. */
  labels: Uint8Array;
  /** [n + 1] frame offset of each utterance; utterance i is frames offsets[i] .. offsets[i+1]. */
  offsets: Int32Array;
  /** [n] speaker id of each utterance (ids are unique across splits). */
  speakerIds: Int32Array;
  /** The words of each utterance (synthetic), or where it comes from (TIMIT: TRAIN/DR1/FCJF0/SI1027). */
  texts: string[];
  speakers: S[];
}

export interface SpeechData<S = Speaker> {
  key: string;
  featureSize: number;
  splits: Record<SplitName, SpeechSplit<S>>;
}

const MAGIC = 'IRNNSPC1';
type Meta<S> = { key: string; featureSize: number; splits: Record<SplitName, { n: number; frames: number; texts: string[]; speakers: S[] }> };

const pad4 = (n: number) => (4 - (n % 4)) % 4;

export function writeSpeechCache<S>(file: string, data: SpeechData<S>): void {
  const meta: Meta<S> = { key: data.key, featureSize: data.featureSize, splits: {} as Meta<S>['splits'] };
  for (const s of SPLIT_NAMES) {
    const sp = data.splits[s];
    meta.splits[s] = { n: sp.n, frames: sp.labels.length, texts: sp.texts, speakers: sp.speakers };
  }
  const head = Buffer.from(JSON.stringify(meta), 'utf8');
  const parts: Uint8Array[] = [Buffer.from(MAGIC, 'ascii'), u32(head.length), head, new Uint8Array(pad4(head.length))];
  for (const s of SPLIT_NAMES) {
    const sp = data.splits[s];
    for (const a of [sp.features, sp.offsets, sp.speakerIds, sp.labels]) {
      parts.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(pad4(a.byteLength)));
    }
  }
  writeCacheFile(file, Buffer.concat(parts));
}

/** The cached data, or null when there is no file. A file that does not parse is a UserError. */
export function readSpeechCache<S = Speaker>(file: string, key: string): SpeechData<S> | null {
  if (!existsSync(file)) return null;
  const corrupt = (why: string) => new UserError(`speech cache ${file} is corrupt (${why}); delete it to regenerate`);
  const buf = readFileSync(file);
  if (buf.length < 12 || buf.toString('ascii', 0, 8) !== MAGIC) throw corrupt('bad magic');
  const headLen = buf.readUInt32LE(8);
  let meta: Meta<S>;
  try {
    meta = JSON.parse(buf.toString('utf8', 12, 12 + headLen)) as Meta<S>;
  } catch {
    throw corrupt('bad header');
  }
  if (meta.key !== key) throw corrupt(`made for key ${meta.key}`);
  let at = 12 + headLen + pad4(headLen);
  const take = <T>(make: (b: ArrayBuffer) => T, bytes: number): T => {
    if (at + bytes > buf.length) throw corrupt('truncated');
    // Copy into a fresh, aligned buffer: typed arrays cannot view the file buffer at odd offsets.
    const out = make(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + bytes));
    at += bytes + pad4(bytes);
    return out;
  };
  const splits = {} as Record<SplitName, SpeechSplit<S>>;
  for (const s of SPLIT_NAMES) {
    const m = meta.splits[s];
    splits[s] = {
      n: m.n,
      features: take((b) => new Float32Array(b), 4 * m.frames * meta.featureSize),
      offsets: take((b) => new Int32Array(b), 4 * (m.n + 1)),
      speakerIds: take((b) => new Int32Array(b), 4 * m.n),
      labels: take((b) => new Uint8Array(b), m.frames),
      texts: m.texts,
      speakers: m.speakers,
    };
    if (splits[s].offsets[m.n] !== m.frames) throw corrupt('offsets do not match the frame count');
  }
  if (at !== buf.length) throw corrupt('trailing bytes');
  return { key, featureSize: meta.featureSize, splits };
}

function u32(v: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v, 0);
  return b;
}
