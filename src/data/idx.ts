// Reader for IDX files, the format of MNIST and Fashion-MNIST (plain or gzipped). It checks the
// magic number, the dimensions and that the byte count matches them, and raises a one-line
// UserError naming the file otherwise. Unsigned-byte data only (the only type these sets use).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../util/errors.js';

/** Data type code of unsigned bytes in the IDX magic number (third byte). */
const UBYTE = 0x08;

export interface IdxArray {
  /** e.g. [60000, 28, 28] for images, [60000] for labels. */
  dims: number[];
  /** Row-major values, prod(dims) bytes. */
  data: Uint8Array;
}

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** [count, rows * cols] grey levels 0..255, row-major (scanline) within each image. */
  pixels: Uint8Array;
}

/** Parses the bytes of an (uncompressed) IDX file; `file` only names it in error messages. */
export function parseIdx(buf: Uint8Array, file: string): IdxArray {
  const bad = (what: string) => new UserError(`${file}: not a valid IDX file (${what})`);
  if (buf.length < 4) throw bad(`only ${buf.length} bytes`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    const magic = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    throw bad(`bad magic number 0x${magic}`);
  }
  if (buf[2] !== UBYTE) throw bad(`data type 0x${buf[2]!.toString(16)} is not unsigned byte 0x08`);
  const ndims = buf[3]!;
  if (ndims < 1) throw bad('zero dimensions');
  const header = 4 + 4 * ndims;
  if (buf.length < header) throw bad(`truncated header: ${buf.length} bytes`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== header + size) {
    throw bad(
      `dimensions ${dims.join('x')} need ${header + size} bytes, the file has ${buf.length}` +
        (buf.length < header + size ? ': truncated' : ''),
    );
  }
  return { dims, data: buf.subarray(header) };
}

/** Reads an IDX file; a name ending in .gz is decompressed first. */
export function readIdxFile(path: string): IdxArray {
  let raw: Uint8Array;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read IDX file (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  if (path.endsWith('.gz')) {
    try {
      raw = gunzipSync(raw);
    } catch (e) {
      throw new UserError(`${path}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  return parseIdx(raw, path);
}

/** An image file: exactly three dimensions [count, rows, cols]. */
export function readIdxImages(path: string): IdxImages {
  const { dims, data } = readIdxFile(path);
  if (dims.length !== 3) {
    throw new UserError(`${path}: an image file needs 3 dimensions, this one has ${dims.length} (${dims.join('x')})`);
  }
  const [count, rows, cols] = dims as [number, number, number];
  return { count, rows, cols, pixels: data };
}

/** A label file: one dimension, every label below `classes`. */
export function readIdxLabels(path: string, classes = 10): Uint8Array {
  const { dims, data } = readIdxFile(path);
  if (dims.length !== 1) {
    throw new UserError(`${path}: a label file needs 1 dimension, this one has ${dims.length} (${dims.join('x')})`);
  }
  const i = data.findIndex((v) => v >= classes);
  if (i >= 0) throw new UserError(`${path}: label ${data[i]} at index ${i} is not below ${classes}`);
  return data;
}

/** Reads an image file and its label file and checks that they hold the same number of items. */
export function readIdxPair(imagesPath: string, labelsPath: string): IdxImages & { labels: Uint8Array } {
  const images = readIdxImages(imagesPath);
  const labels = readIdxLabels(labelsPath);
  if (labels.length !== images.count) {
    throw new UserError(
      `${labelsPath}: ${labels.length} labels but ${imagesPath} has ${images.count} images`,
    );
  }
  return { ...images, labels };
}

/** `dir/base`, else `dir/base.gz`; a UserError naming both when neither exists. */
export function findIdxFile(dir: string, base: string): string {
  const plain = join(dir, base);
  if (existsSync(plain)) return plain;
  if (existsSync(`${plain}.gz`)) return `${plain}.gz`;
  throw new UserError(`${plain}: IDX file not found (nor ${base}.gz)`);
}
