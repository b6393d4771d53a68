// The speech corpus on disk: one file per generation-settings hash, holding a JSON header and the
// raw typed arrays of each split. Written to a temporary name and renamed, so parallel runs of a
// sweep never read half a file. Knows the layout only, not how the data was made.
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { writeCacheFile } from './cache-file.js';
import { SPLIT_NAMES, type SplitName } from './corpus.js';
import type { Speaker } from './speaker.js';

export interface SpeechSplit {
  /** Number of utterances. */
  n: number;
  /** [frames, featureSize] features of all utterances, one after the other. */
  features: Float32Array;
  /** [frames] class ids (PHONES). */
  labels: Uint8Array;
  /** [n + 1] frame offset of each utterance; utterance i is frames offsets[i] .. offsets[i+1]. */
  offsets: Int32Array;
  /** [n] speaker id of each utterance (ids are unique across splits). */
  speakerIds: Int32Array;
  /** The words of each utterance. */
  texts: string[];
  speakers: Speaker[];
}

export interface SpeechData {
  key: string;
  featureSize: number;
  splits: Record<SplitName, SpeechSplit>;
}

const MAGIC = 'IRNNSPC1';
type Meta = { key: string; featureSize: number; splits: Record<SplitName, { n: number; frames: number; texts: string[]; speakers: Speaker[] }> };

const pad4 = (n: number) => (4 - (n % 4)) % 4;

export function writeSpeechCache(file: string, data: SpeechData): void {
  const meta: Meta = { key: data.key, featureSize: data.featureSize, splits: {} as Meta['splits'] };
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
export function readSpeechCache(file: string, key: string): SpeechData | null {
  if (!existsSync(file)) return null;
  const corrupt = (why: string) => new UserError(`speech cache ${file} is corrupt (${why}); delete it to regenerate`);
  const buf = readFileSync(file);
  if (buf.length < 12 || buf.toString('ascii', 0, 8) !== MAGIC) throw corrupt('bad magic');
  const headLen = buf.readUInt32LE(8);
  let meta: Meta;
  try {
    meta = JSON.parse(buf.toString('utf8', 12, 12 + headLen)) as Meta;
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
  const splits = {} as Record<SplitName, SpeechSplit>;
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
