// Word- and character-level vocabularies built from a corpus's training split, the encoding of
// every split into token ids, and an on-disk cache of both keyed by a hash of the settings.
// Does not batch (see tasks/language-model.ts) and never looks at valid / test when counting.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { writeCacheFile } from './cache-file.js';
import { corpusFingerprint, loadCorpus, SPLIT_NAMES } from './corpus.js';
import type { CorpusOptions, SplitName, WordSplit } from './corpus.js';

export type Level = 'word' | 'char';
export const LEVELS: readonly Level[] = ['word', 'char'];
export const UNK = '<unk>';
export const EOS = '<eos>';
/** Ids 0.. of each level. Characters need no <eos>: a line end is the character '\n'. */
export const SPECIALS: Record<Level, readonly string[]> = { word: [UNK, EOS], char: [UNK] };

export interface Vocab {
  level: Level;
  words: WordSplit;
  /** id -> token; specials first, then by training frequency (ties: code-unit order). */
  tokens: string[];
}

// A word keeps inner apostrophes, periods and commas ("don't", "u.s", "40,000", "3.5"); any
// other non-space character is a token of its own.
const WORD_OR_MARK = /[\p{L}\p{N}]+(?:['.,][\p{L}\p{N}]+)*|\S/gu;

/** The tokens of one line before vocabulary lookup: lower-cased words, or characters plus '\n'. */
export function lineUnits(line: string, level: Level, words: WordSplit): string[] {
  if (level === 'char') return [...line, '\n'];
  const lower = line.toLowerCase();
  const units = words === 'whitespace' ? lower.split(/\s+/).filter(Boolean) : (lower.match(WORD_OR_MARK) ?? []);
  units.push(EOS);
  return units;
}

/** The text a round trip through the vocabulary gives back when nothing is <unk>. */
export function normalizeText(lines: string[], level: Level, words: WordSplit): string {
  if (level === 'char') return lines.map((l) => `${l}\n`).join('');
  return lines.map((l) => `${lineUnits(l, level, words).slice(0, -1).join(' ')}\n`).join('');
}

export interface BuildVocabOptions {
  level: Level;
  words: WordSplit;
  /** Training lines only. */
  lines: string[];
  /** Cap on the vocabulary size, specials included. */
  size: number;
}

export function buildVocab({ level, words, lines, size }: BuildVocabOptions): Vocab {
  const specials = SPECIALS[level];
  if (!Number.isInteger(size) || size < specials.length) {
    throw new UserError(
      `task.vocab_size=${size} is below the ${specials.length} special tokens of level=${level} (${specials.join(', ')})`,
    );
  }
  const counts = new Map<string, number>();
  for (const line of lines) {
    for (const u of lineUnits(line, level, words)) {
      if (!specials.includes(u)) counts.set(u, (counts.get(u) ?? 0) + 1);
    }
  }
  // Code-unit comparison, not localeCompare: the order must not depend on the machine's locale.
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept = ranked.slice(0, size - specials.length).map(([u]) => u);
  return { level, words, tokens: [...specials, ...kept] };
}

function indexOf(vocab: Vocab): Map<string, number> {
  return new Map(vocab.tokens.map((t, i) => [t, i]));
}

/** Token ids of the lines, one stream; units outside the vocabulary become <unk> (id 0). */
export function encode(vocab: Vocab, lines: string[]): Int32Array {
  const index = indexOf(vocab);
  const ids: number[] = [];
  for (const line of lines) {
    for (const u of lineUnits(line, vocab.level, vocab.words)) ids.push(index.get(u) ?? 0);
  }
  return Int32Array.from(ids);
}

/** The text of a stream of ids: words separated by spaces, <eos> as a line end. */
export function decode(vocab: Vocab, ids: ArrayLike<number>): string {
  let out = '';
  let lineStart = true;
  for (let i = 0; i < ids.length; i++) {
    const t = vocab.tokens[ids[i]!] ?? UNK;
    if (vocab.level === 'char') {
      out += t;
    } else if (t === EOS) {
      out += '\n';
      lineStart = true;
    } else {
      out += lineStart ? t : ` ${t}`;
      lineStart = false;
    }
  }
  return out;
}

export interface TokenizedCorpus {
  vocab: Vocab;
  ids: Record<SplitName, Int32Array>;
  description: string;
  /** True when read from the cache. */
  cached: boolean;
}

export interface TokenizeOptions {
  corpus: CorpusOptions;
  level: Level;
  vocabSize: number;
  /** Cache folder; null = no cache. */
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
  return { vocab: meta.vocab, ids, description: meta.description, cached: true };
}

export function tokenizeCorpus(opts: TokenizeOptions): TokenizedCorpus {
  if (!LEVELS.includes(opts.level)) {
    throw new UserError(`task.level: unknown level '${opts.level}'; valid: ${LEVELS.join(', ')}`);
  }
  const key = createHash('sha256')
    .update(JSON.stringify([FORMAT, corpusFingerprint(opts.corpus), opts.level, opts.vocabSize]))
    .digest('hex')
    .slice(0, 16);
  const base = opts.cacheDir ? join(opts.cacheDir, 'lm', `${opts.corpus.corpus}-${opts.level}-${key}`) : null;
  const cached = base ? readCache(base) : null;
  if (cached) return cached;
  const corpus = loadCorpus(opts.corpus);
  const vocab = buildVocab({ level: opts.level, words: corpus.words, lines: corpus.splits.train, size: opts.vocabSize });
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
  return { vocab, ids, description: corpus.description, cached: false };
}
