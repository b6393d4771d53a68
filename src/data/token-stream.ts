// Tokenising a corpus too large for memory (One Billion Word: 0.8 billion training words): the
// training files are read line by line twice, once to count words and once to write their ids to a
// file on disk, which training then reads window by window. Valid and test are small and kept in
// memory. The result is cached like any tokenisation (tokenize.ts), keyed by the files' stats.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../util/errors.js';
import { writeCacheFile } from './cache-file.js';
import { SPLIT_NAMES, type CorpusFiles, type SplitName } from './corpus.js';
import { forEachLine } from './lines.js';
import { indexOf, lineUnits, SPECIALS, vocabFromCounts, type Level, type Vocab } from './vocab.js';

/** A split's token ids, wherever they are: an Int32Array is one, and so is a file of them. */
export interface TokenIds {
  readonly length: number;
  /** A copy of ids start .. end-1. */
  slice(start: number, end: number): Int32Array;
}

/** Token ids stored as little-endian int32 in a file, read on demand. The file is opened for each
 *  read, so a task never holds a descriptor it has no way to close. */
export class FileIds implements TokenIds {
  constructor(
    readonly path: string,
    readonly length: number,
  ) {}

  slice(start: number, end: number): Int32Array {
    const from = Math.max(0, Math.min(start, this.length));
    const to = Math.max(from, Math.min(end, this.length));
    const out = new Int32Array(to - from);
    if (out.length === 0) return out;
    const fd = openSync(this.path, 'r');
    try {
      const bytes = new Uint8Array(out.buffer);
      let got = 0;
      while (got < bytes.length) {
        const n = readSync(fd, bytes, got, bytes.length - got, from * 4 + got);
        if (n === 0) throw new UserError(`${this.path}: token file ends early; delete it to tokenise again`);
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    return out;
  }
}

export interface StreamedTokens {
  vocab: Vocab;
  ids: { train: TokenIds; valid: Int32Array; test: Int32Array };
  /** [vocab] occurrences of each id in the training ids (the unigram baseline's counts). */
  trainCounts: Float64Array;
  description: string;
  cached: boolean;
}

interface StreamMeta {
  streamed: true;
  vocab: Vocab;
  lengths: Record<SplitName, number>;
  counts: number[];
  description: string;
}

/** Calls `fn` with the trimmed, non-blank lines of `files`, in order. */
function eachLine(files: string[], fn: (line: string) => void): void {
  for (const f of files) {
    forEachLine(f, (raw) => {
      const line = raw.trim();
      if (line !== '') fn(line);
    });
  }
}

/** The cache of `base` when it is complete and consistent, else null (then it is rebuilt). */
function readStreamCache(base: string): StreamedTokens | null {
  const files = [`${base}.json`, `${base}.bin`, `${base}.train.bin`];
  if (!files.every((f) => existsSync(f))) return null;
  let meta: StreamMeta;
  try {
    meta = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as StreamMeta;
  } catch {
    return null;
  }
  const n = (s: SplitName) => meta.lengths?.[s];
  if (meta.streamed !== true || !SPLIT_NAMES.every((s) => Number.isInteger(n(s)))) return null;
  if (!Array.isArray(meta.vocab?.tokens) || meta.counts?.length !== meta.vocab.tokens.length) return null;
  if (statSync(`${base}.train.bin`).size !== 4 * n('train')!) return null;
  const buf = readFileSync(`${base}.bin`);
  if (buf.byteLength !== 4 * (n('valid')! + n('test')!)) return null;
  const held = new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return {
    vocab: meta.vocab,
    ids: { train: new FileIds(`${base}.train.bin`, n('train')!), valid: held.subarray(0, n('valid')), test: held.subarray(n('valid')) },
    trainCounts: Float64Array.from(meta.counts),
    description: meta.description,
    cached: true,
  };
}

/** Tokenises `corpus` into the cache files `base`.json, .bin (valid and test ids) and .train.bin
 *  (training ids), or reads them back when they are there already. */
export function tokenizeStreamed(o: { corpus: CorpusFiles; level: Level; vocabSize: number | null; base: string }): StreamedTokens {
  const cached = readStreamCache(o.base);
  if (cached) return cached;
  const { corpus, level } = o;
  const specials = SPECIALS[level];
  // Pass 1: how often each word occurs in training.
  const seen = new Map<string, number>();
  eachLine(corpus.files.train, (line) => {
    for (const u of lineUnits(line, level, corpus.words)) if (!specials.includes(u)) seen.set(u, (seen.get(u) ?? 0) + 1);
  });
  const vocab = vocabFromCounts({ level, words: corpus.words, counts: seen, size: o.vocabSize, minCount: corpus.minCount });
  seen.clear();
  const index = indexOf(vocab);

  // Pass 2: the training ids, a block at a time, to a temporary file renamed when complete.
  mkdirSync(dirname(o.base), { recursive: true });
  const trainFile = `${o.base}.train.bin`;
  const tmp = `${trainFile}.${process.pid}.tmp`;
  const counts = new Float64Array(vocab.tokens.length);
  const block = new Int32Array(1 << 20);
  let fill = 0;
  let total = 0;
  const held = {} as Record<'valid' | 'test', Int32Array>;
  try {
    const fd = openSync(tmp, 'w');
    const flush = () => {
      writeSync(fd, new Uint8Array(block.buffer, 0, fill * 4));
      total += fill;
      fill = 0;
    };
    try {
      eachLine(corpus.files.train, (line) => {
        for (const u of lineUnits(line, level, corpus.words)) {
          const id = index.get(u) ?? 0;
          counts[id]! += 1;
          block[fill++] = id;
          if (fill === block.length) flush();
        }
      });
      flush();
    } finally {
      closeSync(fd);
    }
    for (const s of ['valid', 'test'] as const) {
      const ids: number[] = [];
      eachLine(corpus.files[s], (line) => {
        for (const u of lineUnits(line, level, corpus.words)) ids.push(index.get(u) ?? 0);
      });
      held[s] = Int32Array.from(ids);
    }
    const sizes: Record<SplitName, number> = { train: total, valid: held.valid.length, test: held.test.length };
    for (const s of SPLIT_NAMES) {
      const fs = corpus.files[s];
      if (sizes[s] === 0) throw new UserError(`task.corpus: ${fs.length === 1 ? `${fs[0]} has` : `the ${fs.length} files in ${dirname(fs[0]!)} have`} no text`);
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  const lengths: Record<SplitName, number> = { train: total, valid: held.valid.length, test: held.test.length };
  renameSync(tmp, trainFile);
  const both = new Int32Array(lengths.valid + lengths.test);
  both.set(held.valid, 0);
  both.set(held.test, lengths.valid);
  writeCacheFile(`${o.base}.bin`, new Uint8Array(both.buffer));
  // The metadata last: its presence says the token files beside it are complete.
  const meta: StreamMeta = { streamed: true, vocab, lengths, counts: Array.from(counts), description: corpus.description };
  writeCacheFile(`${o.base}.json`, JSON.stringify(meta));
  return {
    vocab,
    ids: { train: new FileIds(trainFile, total), valid: held.valid, test: held.test },
    trainCounts: counts,
    description: corpus.description,
    cached: false,
  };
}
