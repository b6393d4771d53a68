// An estimate of the memory a run needs, from its resolved config alone (nothing is loaded, built
// or stored first): parameters with their gradients and optimizer moments, the activations of one
// training step (sequence length x batch x widths, per layer and direction), the readout over the
// vocabulary, one evaluation batch, and the dataset. A run whose estimate exceeds the machine's
// memory, or the 4 GiB heap that WebAssembly tensors live in, is refused naming the keys behind
// the largest part. Deliberately rough (within a small factor): it catches sizes no machine holds.
import { totalmem } from 'node:os';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { GATES, type CellKind } from '../kernels/contract.js';
import { AUX_WIDTH } from '../kernels/kernel.js';
import { findNativeBinding } from './backends.js';
import { UserError } from '../util/errors.js';
import type { Config } from './schema.js';

const F32 = 4;
/** tfjs-backend-wasm's heap: wasm32 memory, at most 4 GiB minus one page. */
export const WASM_HEAP_BYTES = 4294901760;

/** The task's side of the estimate: sequence length, sizes, and what its data holds. */
interface TaskShape {
  T: number;
  /** The keys that set T, for the error message. */
  tKeys: string[];
  input: number;
  /** Token inputs: the embedding table has `vocab` rows of `input` (= embedding size) floats. */
  vocab?: number;
  output: number;
  manyToMany: boolean;
  evalBatch: number;
  dataBytes: number;
  dataKeys: string[];
}

type Task = Config['task'];
const num = (t: Task, key: string, fallback: number): number => {
  const v = t[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
};

function mnistShape(t: Task): TaskShape {
  const side = num(t, 'downsample', 28);
  const digits = t['source'] === 'idx' ? 70_000 : 10_000;
  const T = side * side;
  return { T, tKeys: ['task.downsample'], input: 1, output: 10, manyToMany: false, evalBatch: num(t, 'eval_batch_size', 500), dataBytes: digits * 784 * 2, dataKeys: ['task.source'] };
}

/** Tokens of the packaged corpora (words / characters), or the bytes of a corpus folder's files. */
const CORPUS_TOKENS: Record<string, { word: number; char: number }> = {
  sotu: { word: 2.05e6, char: 1.1e7 },
  moby_dick: { word: 2.6e5, char: 1.22e6 },
};

function corpusTokens(t: Task): number {
  const known = CORPUS_TOKENS[String(t['corpus'])];
  if (known) return t['level'] === 'char' ? known.char : known.word;
  const dir = t['corpus_dir'];
  if (typeof dir !== 'string') return 0;
  let bytes = 0;
  for (const f of ['train.txt', 'valid.txt', 'test.txt']) {
    try {
      bytes += statSync(join(dir, f)).size;
    } catch {
      // a missing file is the task's error to report, with its own message
    }
  }
  return bytes;
}

/** Per-task shapes, by `task.name`; an unknown task is sized from `task.seq_len` alone. */
const SHAPES: Record<string, (t: Task) => TaskShape> = {
  adding: (t) => {
    const T = num(t, 'seq_len', 1);
    return { T, tKeys: ['task.seq_len'], input: 2, output: 1, manyToMany: false, evalBatch: num(t, 'eval_batch_size', 500), dataBytes: num(t, 'test_size', 0) * (T * 2 + 1) * F32, dataKeys: ['task.test_size', 'task.seq_len'] };
  },
  pixel_mnist: mnistShape,
  permuted_mnist: mnistShape,
  lm: (t) => {
    // Ids (4 bytes) plus the text and its split words while the corpus is read.
    const tokens = corpusTokens(t);
    return { T: num(t, 'bptt', 1), tKeys: ['task.bptt'], input: num(t, 'embed_size', 1), vocab: num(t, 'vocab_size', 1), output: num(t, 'vocab_size', 1), manyToMany: true, evalBatch: num(t, 'eval_batch_size', 32), dataBytes: tokens * 24, dataKeys: ['task.corpus', 'task.corpus_dir'] };
  },
  speech: (t) => {
    const features = 40 * (1 + Number(t['deltas'] === true) + Number(t['delta_deltas'] === true));
    const utterances = num(t, 'train_utterances', 0) + num(t, 'valid_utterances', 0) + num(t, 'test_utterances', 0);
    const words = num(t, 'max_words', 1);
    // About 33 frames per word and 10 of silence; the longest utterance about 52 frames per word.
    const meanFrames = 33 * (num(t, 'min_words', 1) + words) / 2 + 10;
    return { T: 52 * words, tKeys: ['task.max_words'], input: features, output: 40, manyToMany: true, evalBatch: num(t, 'eval_batch_size', 50), dataBytes: utterances * meanFrames * (features + 1) * F32, dataKeys: ['task.train_utterances', 'task.max_words'] };
  },
};

export interface MemoryPart {
  what: string;
  bytes: number;
  /** The part that lives in tensors (the wasm heap on the WebAssembly backend); the fused
   *  kernels keep their saved activations in plain arrays outside it. */
  heapBytes: number;
  /** The config keys behind this part, e.g. ['task.seq_len', 'train.batch_size', 'model.hidden']. */
  keys: string[];
}

/** The parts of a run's memory at its peak (a training step or an evaluation batch, not both). */
export function estimateMemory(cfg: Config): MemoryPart[] {
  const t = cfg.task;
  const shape = (SHAPES[t.name] ?? ((x: Task) => ({ ...SHAPES['adding']!(x), dataBytes: 0 })))(t);
  const m = cfg.model;
  const cell = m.cell as CellKind;
  const [H, L, D, G, A] = [m.hidden, m.layers, m.bidirectional ? 2 : 1, GATES[cell] ?? 1, AUX_WIDTH[cell] ?? 0];
  const B = cfg.train.batch_size;
  const Be = shape.evalBatch;
  const { T } = shape;
  const unrolled = m.engine === 'unrolled';
  let params = 0;
  // Floats per (t, b) row, all layers and directions: a training step and an evaluation batch,
  // in all and in tensors (the unrolled engine's per-step tensors are all in tfjs).
  const row = { train: 0, trainHeap: 0, eval: 0, evalHeap: 0 };
  for (let l = 0; l < L; l++) {
    const I = l === 0 ? shape.input : D * H;
    params += D * (I * G * H + H * G * H + 2 * G * H);
    // states (out + saved), dstates, aux, projection scratch and its gradient, input copy and its gradient
    const train = D * (3 * H + A * H + 2 * G * H + 2 * I) + (D === 2 ? 2 * H : 0);
    const evalRow = D * (2 * H + A * H + G * H + I);
    row.train += unrolled ? 2 * train : train;
    row.trainHeap += unrolled ? 2 * train : D * (2 * H + 2 * I) + (D === 2 ? 2 * H : 0);
    row.eval += evalRow;
    row.evalHeap += unrolled ? evalRow : D * (H + I);
  }
  params += (D * H + 1) * shape.output + (shape.vocab ?? 0) * shape.input;
  const outRows = shape.manyToMany ? T : 1;
  // A many-to-many softmax keeps about 14 [T, B, V] tensors through its gradient and 6 in an
  // evaluation batch (measured on lm_words); a readout of the last step only is small either way.
  const readout = 14 * outRows * B * shape.output * F32;
  const evalOut = shape.manyToMany ? 6 * shape.output : 0;
  const { tKeys } = shape;
  const width = ['model.hidden', 'model.layers'];
  const vocab = shape.vocab ? ['task.vocab_size'] : [];
  return [
    { what: 'parameters, gradients and optimizer state', bytes: 4 * params * F32, heapBytes: 4 * params * F32, keys: [...width, ...vocab, ...(shape.vocab ? ['task.embed_size'] : [])] },
    { what: 'activations of a training step (sequence length x batch x widths)', bytes: T * B * row.train * F32, heapBytes: T * B * row.trainHeap * F32, keys: [...tKeys, 'train.batch_size', ...width] },
    { what: 'the readout of a training step (steps x batch x outputs)', bytes: readout, heapBytes: readout, keys: [...tKeys, 'train.batch_size', ...vocab] },
    { what: 'an evaluation batch', bytes: T * Be * (row.eval + evalOut) * F32, heapBytes: T * Be * (row.evalHeap + evalOut) * F32, keys: [...tKeys, 'task.eval_batch_size', ...width, ...vocab] },
    { what: 'the dataset', bytes: shape.dataBytes, heapBytes: 0, keys: shape.dataKeys },
  ];
}

/** What Node, tfjs and the wasm module take before a run allocates anything (measured: ~200 MB). */
const PROCESS_BYTES = 256 * 2 ** 20;
/** The wasm heap grows in steps and keeps freed blocks: tensors take about half as much again. */
const HEAP_SLACK = 1.5;

/** Peak bytes: parameters and data, plus the larger of a training step and an evaluation batch. */
function peak(parts: MemoryPart[], tensorsOnly: boolean): number {
  const [p, act, out, ev, data] = parts.map((x) => (tensorsOnly ? x.heapBytes : x.bytes)) as [number, number, number, number, number];
  const tensors = HEAP_SLACK * (p + Math.max(act + out, ev));
  return tensorsOnly ? tensors : PROCESS_BYTES + tensors + data;
}

/** The estimated peak memory of a run, in bytes (what `checkMemory` compares with the budget). */
export function peakMemory(cfg: Config): number {
  return peak(estimateMemory(cfg), false);
}

export function fmtBytes(n: number): string {
  if (n >= 2 ** 60) return `${(n / 2 ** 50).toExponential(1)} PiB`;
  const units: Array<[number, string]> = [[2 ** 50, 'PiB'], [2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [size, unit] of units) if (n >= size) return `${(n / size).toFixed(1)} ${unit}`;
  return `${n} bytes`;
}

/** The memory a run may use: physical memory, and the wasm heap for tensors on that backend. */
export function memoryBudget(backend: string): { total: number; tensors: number } {
  const wasm = backend === 'wasm' || backend === 'cpu' ? backend === 'wasm' : findNativeBinding() === null;
  return { total: totalmem(), tensors: wasm ? WASM_HEAP_BYTES : totalmem() };
}

/** Refuses a run that cannot fit, naming the keys of its largest part and the estimate. */
export function checkMemory(cfg: Config, budget = memoryBudget(cfg.backend)): void {
  const parts = estimateMemory(cfg);
  const over = [
    { need: peak(parts, false), have: budget.total, of: 'memory (this machine has', size: (x: MemoryPart) => x.bytes },
    { need: peak(parts, true), have: budget.tensors, of: 'tensor memory (the WebAssembly heap holds at most', size: (x: MemoryPart) => x.heapBytes },
  ].find((c) => c.need > c.have);
  if (!over) return;
  const biggest = parts.reduce((a, b) => (over.size(b) > over.size(a) ? b : a));
  // The keys as set, largest value first: the one to change usually leads.
  const shown = biggest.keys
    .map((k) => [k, valueAt(cfg, k)] as const)
    .filter(([, v]) => v !== undefined)
    .sort((a, b) => (typeof b[1] === 'number' ? b[1] : 0) - (typeof a[1] === 'number' ? a[1] : 0))
    .map(([k, v]) => `${k}=${v}`);
  throw new UserError(
    `${shown.join(', ')}: the run would need about ${fmtBytes(over.need)} of ${over.of} ${fmtBytes(over.have)}); ` +
      `the largest part is ${biggest.what}, about ${fmtBytes(over.size(biggest))}`,
  );
}

function valueAt(cfg: Config, key: string): string | number | undefined {
  const [section, name] = key.split('.') as [string, string];
  const v = (cfg[section] as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'number' || typeof v === 'string' ? v : undefined;
}
