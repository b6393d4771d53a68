// Vocabularies and the encoding of text into token ids: how a line is cut into units (words or
// characters), which units a vocabulary keeps (specials, then by training frequency), and encode /
// decode. No files, no caches (tokenize.ts, token-stream.ts), no batching.
import { UserError } from '../util/errors.js';
import type { WordSplit } from './corpus.js';

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

const SPLITTERS: Record<WordSplit, (line: string) => string[]> = {
  whitespace: (line) => line.toLowerCase().split(/\s+/).filter(Boolean),
  exact: (line) => line.split(/\s+/).filter(Boolean),
  punctuation: (line) => line.toLowerCase().match(WORD_OR_MARK) ?? [],
};

/** The tokens of one line before vocabulary lookup: words (lower-cased unless `exact`), or
 *  characters plus '\n'. */
export function lineUnits(line: string, level: Level, words: WordSplit): string[] {
  if (level === 'char') return [...line, '\n'];
  const units = SPLITTERS[words](line);
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
  /** Cap on the vocabulary size, specials included; null = no cap. */
  size: number | null;
  /** Keep only units seen at least this often (default 1). */
  minCount?: number;
}

/** Occurrences of each unit in `lines`, specials left out (a literal <unk> in the text is <unk>). */
export function countUnits(o: { level: Level; words: WordSplit; lines: Iterable<string>; into?: Map<string, number> }): Map<string, number> {
  const counts = o.into ?? new Map<string, number>();
  const specials = SPECIALS[o.level];
  for (const line of o.lines) {
    for (const u of lineUnits(line, o.level, o.words)) {
      if (!specials.includes(u)) counts.set(u, (counts.get(u) ?? 0) + 1);
    }
  }
  return counts;
}

/** The vocabulary of counted units: specials, then every unit seen `minCount` times or more by
 *  frequency (ties: code-unit order), cut to `size` in all. */
export function vocabFromCounts(o: { level: Level; words: WordSplit; counts: Map<string, number>; size: number | null; minCount?: number }): Vocab {
  const specials = SPECIALS[o.level];
  if (o.size !== null && (!Number.isInteger(o.size) || o.size < specials.length)) {
    throw new UserError(
      `task.vocab_size=${o.size} is below the ${specials.length} special tokens of level=${o.level} (${specials.join(', ')})`,
    );
  }
  const min = o.minCount ?? 1;
  // Code-unit comparison, not localeCompare: the order must not depend on the machine's locale.
  const ranked = [...o.counts.entries()].filter(([, n]) => n >= min).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept = (o.size === null ? ranked : ranked.slice(0, o.size - specials.length)).map(([u]) => u);
  return { level: o.level, words: o.words, tokens: [...specials, ...kept] };
}

export function buildVocab({ level, words, lines, size, minCount }: BuildVocabOptions): Vocab {
  return vocabFromCounts({ level, words, counts: countUnits({ level, words, lines }), size, minCount });
}

export function indexOf(vocab: Vocab): Map<string, number> {
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
