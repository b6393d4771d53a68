// What the synthetic speakers say: phrases of real English from Moby Dick (the same chapter split
// as the language-model corpus, so train / valid / test sentences are disjoint), cut at
// punctuation and at words CMUdict does not know, and turned into phone ids.
import { corpusFingerprint, loadCorpus, splitSentences, SPLIT_NAMES, type SplitName } from './corpus.js';
import { lexiconVersion, loadLexicon, SIL } from './phonemes.js';
import type { Rng } from '../util/rng.js';

/** A run of consecutive in-dictionary words, none crossing punctuation. */
export type Phrase = readonly string[];

const WORD = /^[a-z]+(?:'[a-z]+)*$/;

let phrasesMemo: Record<SplitName, Phrase[]> | null = null;

/** Phrases of each split, in book order. Built once per process. */
export function loadPhrases(): Record<SplitName, Phrase[]> {
  if (phrasesMemo) return phrasesMemo;
  const lex = loadLexicon();
  const corpus = loadCorpus({ corpus: 'moby_dick' });
  const out = {} as Record<SplitName, Phrase[]>;
  for (const split of SPLIT_NAMES) {
    const phrases: Phrase[] = [];
    for (const sentence of corpus.splits[split].flatMap(splitSentences)) {
      // Any mark other than an inner apostrophe ends a phrase, as would a word we cannot say.
      for (const chunk of sentence.toLowerCase().split(/[^a-z'\s]+/)) {
        let run: string[] = [];
        for (const raw of chunk.split(/\s+/)) {
          const w = raw.replace(/^'+|'+$/g, '');
          if (w === '') continue;
          if (WORD.test(w) && lex.has(w)) run.push(w);
          else {
            if (run.length > 0) phrases.push(run);
            run = [];
          }
        }
        if (run.length > 0) phrases.push(run);
      }
    }
    out[split] = phrases;
  }
  phrasesMemo = out;
  return out;
}

/** Identifies the text and pronunciations (cache keys). */
export function textFingerprint(): string {
  return `${corpusFingerprint({ corpus: 'moby_dick' })}+cmudict@${lexiconVersion()}`;
}

/** A window of minWords..maxWords words from a random phrase with at least minWords words. */
export function drawWords(o: { phrases: Phrase[]; minWords: number; maxWords: number; rng: Rng }): string[] {
  const { phrases, rng } = o;
  for (;;) {
    const p = phrases[rng.int(phrases.length)]!;
    if (p.length < o.minWords) continue;
    const len = Math.min(p.length, o.minWords + rng.int(o.maxWords - o.minWords + 1));
    const start = rng.int(p.length - len + 1);
    return p.slice(start, start + len);
  }
}

/** Chance of a short pause between two words, as in read speech (TIMIT's pau folds to sil). */
const PAUSE_PROB = 0.06;

/** Phone ids with silence at both edges and now and then between words, and which phones are
 *  unstressed vowels (the synthesizer shortens and centralises them). */
export function wordsToPhones(words: readonly string[], rng: Rng): { phones: number[]; reduced: boolean[] } {
  const lex = loadLexicon();
  const phones = [SIL];
  const reduced = [false];
  words.forEach((w, i) => {
    if (i > 0 && rng.uniform() < PAUSE_PROB) {
      phones.push(SIL);
      reduced.push(false);
    }
    const pron = lex.get(w)!;
    phones.push(...pron.phones);
    reduced.push(...pron.unstressed);
  });
  phones.push(SIL);
  reduced.push(false);
  return { phones, reduced };
}
