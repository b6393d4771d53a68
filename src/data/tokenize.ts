// A corpus tokenised: the vocabulary built from its training split, every split encoded into token
// ids, and an on-disk cache of both keyed by a hash of the settings. Corpora that fit in memory are
// encoded here; One Billion Word is streamed (token-stream.ts). Does not batch (see
// tasks/language-model.ts) and never looks at valid / test when counting.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { writeCacheFile } from './cache-file.js';
import { corpusFiles, corpusFingerprint, loadCorpus, SPLIT_NAMES } from './corpus.js';
import type { CorpusOptions, SplitName } from './corpus.js';
import { tokenizeStreamed, type TokenIds } from './token-stream.js';
import { buildVocab, encode, LEVELS, type Level, type Vocab } from './vocab.js';

export { buildVocab, countUnits, decode, encode, EOS, LEVELS, lineUnits, normalizeText, SPECIALS, UNK, vocabFromCounts } from './vocab.js';
export type { BuildVocabOptions, Level, Vocab } from './vocab.js';
export type { TokenIds } from './token-stream.js';

export interface TokenizedCorpus {
  vocab: Vocab;
  /** Training ids may live on disk (One Billion Word); valid and test are always in memory. */
  ids: { train: TokenIds; valid: Int32Array; test: Int32Array };
  /** [vocab] occurrences of each id in the training split. */
  trainCounts: Float64Array;
  description: string;
  /** True when read from the cache. */
  cached: boolean;
}

export interface TokenizeOptions {
  corpus: CorpusOptions;
  level: Level;
  /** Cap on the vocabulary, specials included; null = every unit the corpus's rule keeps. */
  vocabSize: number | null;
  /** Cache folder; null = no cache (a streamed corpus then tokenises into a temporary folder). */
  cacheDir: string | null;
}

/** Bumped whenever the cleaning, splitting or tokenisation rules change, so old caches are ignored. */
const FORMAT = 1;

interface CacheMeta {
  vocab: Vocab;
  lengths: Record<SplitName, number>;
  description: string;
}

/** The cached tokenisation, or null when it is missing or damaged (unreadable metadata, or ids
 *  that do not add up to the recorded split lengths): the caller then rebuilds it. */
function readCache(base: string): TokenizedCorpus | null {
  if (!existsSync(`${base}.json`) || !existsSync(`${base}.bin`)) return null;
  let meta: CacheMeta;
  try {
    meta = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as CacheMeta;
  } catch {
    return null;
  }
  const buf = readFileSync(`${base}.bin`);
  const all = new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + (buf.byteLength & ~3)));
  const ids = {} as Record<SplitName, Int32Array>;
  let at = 0;
  for (const s of SPLIT_NAMES) {
    const n = meta.lengths?.[s];
    if (!Number.isInteger(n)) return null;
    ids[s] = all.subarray(at, at + n);
    at += n;
  }
  if (at !== all.length || !Array.isArray(meta.vocab?.tokens)) return null;
  return { vocab: meta.vocab, ids, trainCounts: countIds(ids.train, meta.vocab.tokens.length), description: meta.description, cached: true };
}

function countIds(ids: Int32Array, vocab: number): Float64Array {
  const counts = new Float64Array(vocab);
  for (const id of ids) counts[id]! += 1;
  return counts;
}

export function tokenizeCorpus(opts: TokenizeOptions): TokenizedCorpus {
  if (!LEVELS.includes(opts.level)) {
    throw new UserError(`task.level: unknown level '${opts.level}'; valid: ${LEVELS.join(', ')}`);
  }
  const key = createHash('sha256')
    .update(JSON.stringify([FORMAT, corpusFingerprint(opts.corpus), opts.level, opts.vocabSize]))
    .digest('hex')
    .slice(0, 16);
  const name = `${opts.corpus.corpus}-${opts.level}-${key}`;
  const files = corpusFiles(opts.corpus);
  if (files) {
    const base = join(opts.cacheDir ?? mkdtempSync(join(tmpdir(), 'irnn-lm-')), 'lm', name);
    return tokenizeStreamed({ corpus: files, level: opts.level, vocabSize: opts.vocabSize, base });
  }
  const base = opts.cacheDir ? join(opts.cacheDir, 'lm', name) : null;
  const cached = base ? readCache(base) : null;
  if (cached) return cached;
  const corpus = loadCorpus(opts.corpus);
  const vocab = buildVocab({ level: opts.level, words: corpus.words, lines: corpus.splits.train, size: opts.vocabSize, minCount: corpus.minCount });
  const ids = {} as Record<SplitName, Int32Array>;
  for (const s of SPLIT_NAMES) ids[s] = encode(vocab, corpus.splits[s]);
  if (base) {
    const lengths = Object.fromEntries(SPLIT_NAMES.map((s) => [s, ids[s].length])) as Record<SplitName, number>;
    const all = new Int32Array(SPLIT_NAMES.reduce((n, s) => n + ids[s].length, 0));
    let at = 0;
    for (const s of SPLIT_NAMES) {
      all.set(ids[s], at);
      at += ids[s].length;
    }
    writeCacheFile(`${base}.bin`, new Uint8Array(all.buffer));
    writeCacheFile(`${base}.json`, JSON.stringify({ vocab, lengths, description: corpus.description } satisfies CacheMeta));
  }
  return { vocab, ids, trainCounts: countIds(ids.train, vocab.tokens.length), description: corpus.description, cached: false };
}
