// Checkpoint files on disk: one binary file per checkpoint (a JSON header and raw little-endian
// tensors, covered by a SHA-256 checksum), written atomically (temporary file, fsync, rename,
// fsync of the folder), the newest K kept. Reading verifies the checksum, and `latestCheckpoint`
// falls back to the previous file when the newest is damaged. Knows nothing of models or stores.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { endianness, hostname } from 'node:os';
import { pidAlive } from '../util/process.js';

const MAGIC = 'IRNNCKPT';
const FORMAT = 1;
const PREFIX = 48; // magic (8) + format (4) + header length (4) + sha256 (32)
const NAME = /^step-(\d{12})\.ckpt$/;
const DTYPES = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;
type DType = keyof typeof DTYPES;
export type TensorData = Float32Array | Float64Array | Int32Array;

export interface CheckpointTensor {
  name: string;
  shape: number[];
  data: TensorData;
}

/** What a checkpoint holds: plain JSON facts (step, code version, RNG positions, ...) and tensors. */
export interface CheckpointContent {
  meta: { step: number; [k: string]: unknown };
  tensors: CheckpointTensor[];
}

export class CheckpointError extends Error {}

/** Where a run's checkpoints live: beside its store, `<store folder>/checkpoints/<store file
 *  name>/<run id>-<first 8 characters of the run's uid>/`, so two stores in one folder (x.sqlite,
 *  x.db) never share a folder, and neither do two runs with the same id (a store deleted and made
 *  again at the same path). The checkpoint itself names its store and run, and resume checks
 *  both. An in-memory store has none (null). */
export function checkpointDir(dbPath: string, run: { id: number; uid: string | null }): string | null {
  if (dbPath === ':memory:' || dbPath === '') return null;
  const tag = run.uid ? `${run.id}-${run.uid.replace(/-/g, '').slice(0, 8)}` : String(run.id);
  return join(storeCheckpointsDir(dbPath), tag);
}

/** The folder of every run's checkpoint folder of a store: `<store folder>/checkpoints/<file name>`. */
export function storeCheckpointsDir(dbPath: string): string {
  return join(dirname(dbPath), 'checkpoints', basename(dbPath));
}

/** This process's temporary file names end in `.tmp-<host>-<pid>`; another's are left alone
 *  unless its process is known to be gone (same host, pid dead): what a killed writer left. */
const TMP = /\.tmp-(.+)-(\d+)$/;
function leftByDeadWriter(file: string): boolean {
  const m = TMP.exec(file);
  if (!m) return false;
  return m[1] === hostname() && Number(m[2]) !== process.pid && !pidAlive(Number(m[2]));
}

const dtypeOf = (a: TensorData): DType => (a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : 'float32');
const align8 = (n: number) => (n + 7) & ~7;

function encode(c: CheckpointContent): Buffer {
  if (endianness() !== 'LE') throw new Error('checkpoints are written on little-endian machines only');
  let offset = 0;
  const entries = c.tensors.map((t) => {
    const e = { name: t.name, dtype: dtypeOf(t.data), shape: t.shape, offset, length: t.data.length };
    offset = align8(offset + t.data.byteLength);
    return e;
  });
  const header = Buffer.from(JSON.stringify({ meta: c.meta, tensors: entries }), 'utf8');
  const bodyAt = align8(PREFIX + header.length);
  const buf = Buffer.alloc(bodyAt + offset);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(FORMAT, 8);
  buf.writeUInt32LE(header.length, 12);
  header.copy(buf, PREFIX);
  c.tensors.forEach((t, i) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(buf, bodyAt + entries[i]!.offset));
  createHash('sha256').update(buf.subarray(PREFIX)).digest().copy(buf, 16);
  return buf;
}

function decode(buf: Buffer, path: string): CheckpointContent {
  const bad = (why: string) => new CheckpointError(`checkpoint ${path} is damaged (${why})`);
  if (buf.length < PREFIX || buf.toString('latin1', 0, 8) !== MAGIC) throw bad('not a checkpoint file');
  if (buf.readUInt32LE(8) !== FORMAT) throw bad(`format ${buf.readUInt32LE(8)}, expected ${FORMAT}`);
  const sum = createHash('sha256').update(buf.subarray(PREFIX)).digest();
  if (!sum.equals(buf.subarray(16, PREFIX))) throw bad('checksum mismatch');
  const headerLen = buf.readUInt32LE(12);
  const header = JSON.parse(buf.toString('utf8', PREFIX, PREFIX + headerLen)) as {
    meta: CheckpointContent['meta'];
    tensors: Array<{ name: string; dtype: DType; shape: number[]; offset: number; length: number }>;
  };
  const bodyAt = align8(PREFIX + headerLen);
  const tensors = header.tensors.map((e) => {
    const Ctor = DTYPES[e.dtype];
    const start = bodyAt + e.offset;
    // Copied out of the file buffer, so each array is aligned and owns its memory.
    const bytes = Uint8Array.prototype.slice.call(buf, start, start + e.length * Ctor.BYTES_PER_ELEMENT);
    const data = new Ctor(bytes.buffer);
    return { name: e.name, shape: e.shape, data };
  });
  return { meta: header.meta, tensors };
}

export function readCheckpoint(path: string): CheckpointContent {
  return decode(readFileSync(path), path);
}

/** The checkpoint files of a folder, oldest first. */
export function listCheckpoints(dir: string): Array<{ path: string; step: number }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((f) => {
      const m = NAME.exec(f);
      return m ? [{ path: join(dir, f), step: Number(m[1]) }] : [];
    })
    .sort((a, b) => a.step - b.step);
}

/** Writes `step-<step>.ckpt` atomically and deletes all but the newest `keep` checkpoints. A crash
 *  at any point leaves either the previous set or the new one, never a partial file under a
 *  checkpoint's name. */
export function writeCheckpoint(dir: string, c: CheckpointContent, keep: number): { path: string; bytes: number } {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (leftByDeadWriter(f)) rmSync(join(dir, f), { force: true });
  const buf = encode(c);
  const path = join(dir, `step-${String(c.meta.step).padStart(12, '0')}.ckpt`);
  const tmp = `${path}.tmp-${hostname()}-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (let at = 0; at < buf.length; ) at += writeSync(fd, buf, at, buf.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd); // the rename itself reaches the disk
  } finally {
    closeSync(dfd);
  }
  const all = listCheckpoints(dir);
  for (const old of all.slice(0, Math.max(0, all.length - Math.max(1, keep)))) rmSync(old.path, { force: true });
  return { path, bytes: buf.length };
}

/** The newest readable checkpoint of a folder. A damaged one is reported through `warn` (one
 *  line) and the previous one is tried; null when there is none. */
export function latestCheckpoint(dir: string | null, warn: (line: string) => void = () => {}): { path: string; content: CheckpointContent } | null {
  if (dir === null) return null;
  const all = listCheckpoints(dir).reverse();
  for (let i = 0; i < all.length; i++) {
    try {
      return { path: all[i]!.path, content: readCheckpoint(all[i]!.path) };
    } catch (e) {
      const next = all[i + 1];
      warn(`${(e as Error).message}; ${next ? `using the previous one (step ${next.step})` : 'no earlier checkpoint'}`);
    }
  }
  return null;
}

/** Removes a run's checkpoint folder (a run that can no longer be resumed). */
export function removeCheckpoints(dir: string | null): void {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
}
