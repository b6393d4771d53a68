// Reader for NIST SPHERE audio files, the format of TIMIT's .WAV files: a text header ("NIST_1A",
// the header size, then `name -type value` fields up to `end_head`) followed by raw samples.
// Uncompressed 16-bit PCM mono in either byte order only; anything else is a UserError naming the file.
import { closeSync, fstatSync, readFileSync, readSync } from 'node:fs';
import { openUserFile } from './lines.js';
import { UserError } from '../util/errors.js';

export type SphereValue = number | string;

export interface SphereHeader {
  /** Bytes before the first sample (1024 in TIMIT). */
  headerBytes: number;
  fields: Record<string, SphereValue>;
}

export interface SphereAudio {
  header: SphereHeader;
  sampleRate: number;
  /** [sample_count] samples in [-1, 1). */
  samples: Float32Array;
}

const MAGIC = 'NIST_1A';
// Headers are multiples of 1024 bytes; a size beyond this is a damaged file, not a long header.
const MAX_HEADER = 1 << 20;

/** Parses the header at the start of `buf` (which must hold at least the whole header); `file`
 *  only names the file in error messages. */
export function parseSphereHeader(buf: Uint8Array, file: string): SphereHeader {
  const bad = (why: string) => new UserError(`${file}: not a valid NIST SPHERE file (${why})`);
  const head = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.byteLength, 16)).toString('latin1');
  if (!head.startsWith(`${MAGIC}\n`)) {
    const riff = head.startsWith('RIFF') ? ': it is a RIFF/WAVE file; use the original SPHERE .WAV files of the distribution' : '';
    throw bad(`it does not start with ${MAGIC}${riff}`);
  }
  const sizeLine = head.slice(MAGIC.length + 1).split('\n')[0] ?? '';
  const headerBytes = /^\s*\d+\s*$/.test(sizeLine) ? Number(sizeLine) : NaN;
  if (!Number.isInteger(headerBytes) || headerBytes < 16 || headerBytes > MAX_HEADER) {
    throw bad(`header size '${sizeLine.trim()}' is not a number of bytes`);
  }
  if (buf.byteLength < headerBytes) throw bad(`the file ends inside its ${headerBytes}-byte header`);
  const text = Buffer.from(buf.buffer, buf.byteOffset, headerBytes).toString('latin1');
  const lines = text.split('\n').slice(2);
  const fields: Record<string, SphereValue> = {};
  let ended = false;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === 'end_head') {
      ended = true;
      break;
    }
    if (line.trim() === '' || line.startsWith(';')) continue;
    const m = /^(\S+)\s+-(i|r|s(\d+))\s(.*)$/.exec(line);
    if (!m) throw bad(`header line '${line.slice(0, 60)}' is not 'name -type value'`);
    const [, name, type, len, rest] = m as unknown as [string, string, string, string | undefined, string];
    if (type === 'i') {
      if (!/^\s*-?\d+\s*$/.test(rest)) throw bad(`field ${name}: '${rest.trim()}' is not an integer`);
      fields[name] = Number(rest);
    } else if (type === 'r') {
      const v = Number(rest);
      if (rest.trim() === '' || !Number.isFinite(v)) throw bad(`field ${name}: '${rest.trim()}' is not a number`);
      fields[name] = v;
    } else {
      // -sN: exactly N characters, which may include spaces.
      const n = Number(len);
      if (rest.length < n) throw bad(`field ${name}: declared ${n} characters, has ${rest.length}`);
      fields[name] = rest.slice(0, n);
    }
  }
  if (!ended) throw bad('no end_head within the header');
  return { headerBytes, fields };
}

function intField(h: SphereHeader, name: string, file: string, fallback?: number): number {
  const v = h.fields[name];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new UserError(`${file}: the SPHERE header ${v === undefined ? 'lacks' : 'has a non-integer'} ${name}`);
  }
  return v;
}

export interface SphereFormat {
  sampleRate: number;
  /** Samples in the file (sample_count, or what the file holds when the header does not say). */
  count: number;
  littleEndian: boolean;
}

/** Checks that a header describes what TIMIT holds (uncompressed 16-bit PCM, one channel,
 *  `sampleRate` Hz when given) and that a file of `fileBytes` bytes holds all its samples. */
export function sphereFormat(header: SphereHeader, o: { file: string; fileBytes: number; sampleRate?: number }): SphereFormat {
  const { file } = o;
  const coding = String(header.fields['sample_coding'] ?? 'pcm');
  if (/shorten/i.test(coding)) {
    throw new UserError(`${file}: shorten-compressed SPHERE audio (sample_coding ${coding}); decompress it first, e.g. with sph2pipe -f sph`);
  }
  if (coding !== 'pcm') throw new UserError(`${file}: sample_coding '${coding}' is not plain PCM`);
  const channels = intField(header, 'channel_count', file, 1);
  if (channels !== 1) throw new UserError(`${file}: ${channels} channels; only mono audio is read`);
  const width = intField(header, 'sample_n_bytes', file);
  if (width !== 2) throw new UserError(`${file}: ${width}-byte samples; only 16-bit PCM is read`);
  const rate = intField(header, 'sample_rate', file);
  if (o.sampleRate !== undefined && rate !== o.sampleRate) {
    throw new UserError(`${file}: sample_rate ${rate} Hz; this task needs ${o.sampleRate} Hz`);
  }
  const order = String(header.fields['sample_byte_format'] ?? '');
  // "01": least significant byte first (little-endian); "10": big-endian.
  if (order !== '01' && order !== '10') {
    throw new UserError(`${file}: sample_byte_format '${order}' is neither 01 (little-endian) nor 10 (big-endian)`);
  }
  const available = Math.max(0, Math.floor((o.fileBytes - header.headerBytes) / 2));
  const count = intField(header, 'sample_count', file, available);
  if (count < 0) throw new UserError(`${file}: sample_count ${count} is negative`);
  if (count > available) {
    throw new UserError(`${file}: the header promises ${count} samples, the file holds ${available}: truncated`);
  }
  return { sampleRate: rate, count, littleEndian: order === '01' };
}

/** The samples of a SPHERE file's bytes, checked as sphereFormat does. */
export function decodeSphere(buf: Uint8Array, file: string, o: { sampleRate?: number } = {}): SphereAudio {
  const header = parseSphereHeader(buf, file);
  const f = sphereFormat(header, { file, fileBytes: buf.byteLength, sampleRate: o.sampleRate });
  const view = new DataView(buf.buffer, buf.byteOffset + header.headerBytes, f.count * 2);
  const samples = new Float32Array(f.count);
  for (let i = 0; i < f.count; i++) samples[i] = view.getInt16(2 * i, f.littleEndian) / 32768;
  return { header, sampleRate: f.sampleRate, samples };
}

/** Reads a SPHERE file's samples. */
export function readSphere(path: string, o: { sampleRate?: number } = {}): SphereAudio {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return decodeSphere(buf, path, o);
}

/** Checks a SPHERE file from its header and size alone, without reading the audio. */
export function probeSphere(path: string, o: { sampleRate?: number } = {}): SphereFormat {
  const fd = openUserFile(path);
  try {
    let buf = Buffer.alloc(1024);
    let n = readSync(fd, buf, 0, buf.length, 0);
    const declared = /^NIST_1A\n\s*(\d+)/.exec(buf.toString('latin1', 0, Math.min(n, 32)));
    const size = declared ? Number(declared[1]) : 0;
    if (size > buf.length && size <= MAX_HEADER) {
      buf = Buffer.alloc(size);
      n = readSync(fd, buf, 0, size, 0);
    }
    const header = parseSphereHeader(buf.subarray(0, n), path);
    return sphereFormat(header, { file: path, fileBytes: fstatSync(fd).size, sampleRate: o.sampleRate });
  } finally {
    closeSync(fd);
  }
}
