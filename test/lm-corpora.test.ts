// The language-model corpora a researcher brings, read from files written here: One Billion Word
// (its layout, held-out shard 0 as test, the at-least-3 vocabulary rule, training ids streamed to
// and read back from disk, the cache) and Mikolov's Penn Treebank (its files, its vocabulary and
// <unk>); line-by-line reading in small chunks; bad paths and files as one-line UserErrors; what a
// report says of runs on these corpora.
import test, { type ExecutionContext } from 'ava';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { billionFiles } from '../src/data/billion.js';
import { forEachLine } from '../src/data/lines.js';
import { FileIds } from '../src/data/token-stream.js';
import { encode, tokenizeCorpus, type TokenIds } from '../src/data/tokenize.js';
import { PAPER_TASKS } from '../src/report/paper.js';
import type { RunRecord } from '../src/store/runs.js';
import { lmTask } from '../src/tasks/language-model.js';
import type { Task } from '../src/tasks/task.js';
import { isUserError } from '../src/util/errors.js';
import { shardText, tmp, writeBillion, writePtb } from './data-writers.js';

const all = (ids: TokenIds): number[] => Array.from(ids.slice(0, ids.length));
const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

function userError(t: ExecutionContext, f: () => unknown, pattern: RegExp): void {
  const e = t.throws(f);
  t.true(isUserError(e), e?.message);
  t.regex(e?.message ?? '', pattern);
  t.false((e?.message ?? '').includes('\n'), 'one line');
}

const lmCfg = (corpus: string, path: string | null, over: Record<string, unknown> = {}) => ({
  name: 'lm', level: 'word', corpus, corpus_dir: null, path, vocab_size: null, bptt: 4, embed_size: 8,
  eval_tokens: null, eval_batch_size: 2, carry_state: false, ...over,
});

test('lines are read in chunks: a line, a CRLF or a UTF-8 character cut by a chunk boundary comes out whole', (t) => {
  const dir = tmp('lines');
  const file = join(dir, 'x.txt');
  const text = 'naïve café\r\nüber ∑ 3.5\n\nlast line without end';
  writeFileSync(file, text);
  for (const chunk of [1, 2, 3, 7, 1 << 20]) {
    const got: string[] = [];
    forEachLine(file, (l) => got.push(l), chunk);
    t.deepEqual(got, ['naïve café', 'über ∑ 3.5', '', 'last line without end'], `chunk ${chunk}`);
  }
  writeFileSync(file, 'text\0binary');
  userError(t, () => forEachLine(file, () => {}), /x\.txt: not a text file/);
  userError(t, () => forEachLine(join(dir, 'none.txt'), () => {}), /none\.txt: cannot read \(ENOENT\)/);
  rmSync(dir, { recursive: true });
});

test('One Billion Word: training shards but not shard 00000, held-out shard 0 as test, 1 as valid', (t) => {
  const root = writeBillion(tmp('billion'), { shards: 3 });
  const f = billionFiles(root);
  t.deepEqual(f.files.train.map((p) => p.split('/').pop()), ['news.en-00001-of-00100', 'news.en-00002-of-00100', 'news.en-00003-of-00100']);
  t.true(f.files.test[0]!.endsWith('heldout-monolingual.tokenized.shuffled/news.en.heldout-00000-of-00050'));
  t.true(f.files.valid[0]!.endsWith('heldout-monolingual.tokenized.shuffled/news.en.heldout-00001-of-00050'));
  t.is(f.words, 'exact');
  t.is(f.minCount, 3);
  rmSync(root, { recursive: true });
});

test('One Billion Word: words seen at least 3 times, case kept; training ids streamed to disk and read back', (t) => {
  const root = writeBillion(tmp('billion'));
  const cacheDir = tmp('billion-cache');
  const data = tokenizeCorpus({ corpus: { corpus: 'billion', path: root }, level: 'word', vocabSize: null, cacheDir });
  t.false(data.cached);
  // Count the training words here, from the shard texts the writer made.
  const train = [1, 2].flatMap((n) => lines(shardText(n, 60)));
  const counts = new Map<string, number>();
  for (const l of train) for (const w of l.split(/\s+/)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const kept = [...counts].filter(([, n]) => n >= 3).map(([w]) => w);
  t.true([...counts.values()].some((n) => n < 3), 'some words are too rare');
  t.true(data.vocab.tokens.includes('Zeta'), 'three times over two shards');
  t.false(data.vocab.tokens.includes('twice1') || data.vocab.tokens.includes('solo2'), 'fewer than three times');
  t.deepEqual([...data.vocab.tokens].sort(), ['<eos>', '<unk>', ...kept].sort());
  t.true(data.vocab.tokens.includes('The') && data.vocab.tokens.includes('the'), 'case-sensitive');
  t.false(data.vocab.tokens.includes('HELDOUT'), 'training shard 00000 is held-out data and never counted');
  // The training ids live in a file, block by block, and are exactly the encoded training lines.
  t.true(data.ids.train instanceof FileIds);
  const file = (data.ids.train as FileIds).path;
  t.is(statSync(file).size, 4 * data.ids.train.length);
  t.deepEqual(all(data.ids.train), Array.from(encode(data.vocab, train)));
  t.deepEqual(Array.from(data.ids.train.slice(5, 9)), all(data.ids.train).slice(5, 9));
  t.deepEqual(Array.from(data.ids.test), Array.from(encode(data.vocab, lines(shardText(90, 20)))));
  t.deepEqual(Array.from(data.trainCounts), data.vocab.tokens.map((_, id) => all(data.ids.train).filter((x) => x === id).length));
  // A cap keeps the most frequent of the words the rule admits.
  const capped = tokenizeCorpus({ corpus: { corpus: 'billion', path: root }, level: 'word', vocabSize: 6, cacheDir });
  t.is(capped.vocab.tokens.length, 6);
  // Cached: read back without reading the shards; a changed shard is tokenised afresh.
  const again = tokenizeCorpus({ corpus: { corpus: 'billion', path: root }, level: 'word', vocabSize: null, cacheDir });
  t.true(again.cached);
  t.deepEqual(all(again.ids.train), all(data.ids.train));
  t.deepEqual(again.trainCounts, data.trainCounts);
  writeFileSync(join(root, 'training-monolingual.tokenized.shuffled', 'news.en-00002-of-00100'), shardText(5, 10));
  const changed = tokenizeCorpus({ corpus: { corpus: 'billion', path: root }, level: 'word', vocabSize: null, cacheDir });
  t.false(changed.cached);
  // A damaged token file is not used: it is written afresh.
  const changedFile = (changed.ids.train as FileIds).path;
  writeFileSync(changedFile, Buffer.alloc(8));
  t.false(tokenizeCorpus({ corpus: { corpus: 'billion', path: root }, level: 'word', vocabSize: null, cacheDir }).cached);
  t.is(statSync(changedFile).size, 4 * changed.ids.train.length);
  for (const d of [root, cacheDir]) rmSync(d, { recursive: true });
});

test('One Billion Word as a task: windows read from the file continue one another; info and baseline', (t) => {
  const root = writeBillion(tmp('billion'));
  const cacheDir = tmp('billion-cache');
  const task = lmTask(lmCfg('billion', root), { seed: 0, cacheDir }) as Task;
  const data = tokenizeCorpus({ corpus: { corpus: 'billion', path: root }, level: 'word', vocabSize: null, cacheDir });
  const ids = all(data.ids.train);
  const rowLen = Math.floor(ids.length / 2);
  const w0 = task.trainBatch(2, undefined as never);
  const w1 = task.trainBatch(2, undefined as never);
  for (let b = 0; b < 2; b++) {
    t.deepEqual(Array.from(w0.x.subarray(b * 4, b * 4 + 4)), ids.slice(b * rowLen, b * rowLen + 4));
    t.deepEqual(Array.from(w1.y.subarray(b * 4, b * 4 + 4)), ids.slice(b * rowLen + 5, b * rowLen + 9));
  }
  t.like(task.info, { corpus: 'billion', vocab_size: data.vocab.tokens.length, vocab_cap: 'none', train_tokens: ids.length });
  t.regex(String(task.info['corpus_splits']), /train 2 shards \(00001-00002 of 00100\), valid news\.en\.heldout-00001-of-00050, test news\.en\.heldout-00000-of-00050/);
  t.true(Number.isFinite(task.baseline!.value) && task.baseline!.value > 1);
  for (const d of [root, cacheDir]) rmSync(d, { recursive: true });
});

test('One Billion Word: a wrong path or a missing shard is a one-line error naming it, and nothing is cached', (t) => {
  const cacheDir = tmp('billion-cache');
  userError(t, () => lmTask(lmCfg('billion', null), { seed: 0, cacheDir }), /task\.corpus=billion needs task\.path=/);
  userError(t, () => lmTask(lmCfg('billion', '/nowhere/1b'), { seed: 0, cacheDir }), /task\.path: \/nowhere\/1b is not a folder/);
  const root = writeBillion(tmp('billion'));
  unlinkSync(join(root, 'heldout-monolingual.tokenized.shuffled', 'news.en.heldout-00000-of-00050'));
  userError(t, () => lmTask(lmCfg('billion', root), { seed: 0, cacheDir }), /missing .*heldout-monolingual\.tokenized\.shuffled\/news\.en\.heldout-00000-of-00050/);
  const noTrain = tmp('billion');
  userError(t, () => lmTask(lmCfg('billion', noTrain), { seed: 0, cacheDir }), /missing .*training-monolingual\.tokenized\.shuffled/);
  const binary = writeBillion(tmp('billion'));
  writeFileSync(join(binary, 'training-monolingual.tokenized.shuffled', 'news.en-00002-of-00100'), Buffer.from([65, 0, 66, 10]));
  userError(t, () => lmTask(lmCfg('billion', binary), { seed: 0, cacheDir }), /news\.en-00002-of-00100: not a text file/);
  const lm = join(cacheDir, 'lm');
  t.true(!existsSync(lm) || readdirSync(lm).length === 0, `nothing left in the cache: ${existsSync(lm) ? readdirSync(lm).join(' ') : ''}`);
  for (const d of [root, noTrain, binary, cacheDir]) rmSync(d, { recursive: true });
});

test('Penn Treebank: ptb.*.txt as they are, every training word plus <eos> in the vocabulary, <unk> its own', (t) => {
  const dir = writePtb(tmp('ptb'));
  const data = tokenizeCorpus({ corpus: { corpus: 'ptb', path: dir }, level: 'word', vocabSize: null, cacheDir: null });
  t.deepEqual(data.vocab.tokens.slice(0, 2), ['<unk>', '<eos>']);
  t.is(data.vocab.tokens.filter((w) => w === '<unk>').length, 1, "the text's <unk> is the vocabulary's");
  t.true(data.vocab.tokens.includes('N') && !data.vocab.tokens.includes('n'), 'tokens kept as the files have them');
  // The vocabulary is exactly the training file's tokens (its <unk> among them) and <eos>.
  const trainTokens = new Set(readFileSync(join(dir, 'ptb.train.txt'), 'utf8').split(/\s+/).filter(Boolean));
  t.deepEqual([...data.vocab.tokens].sort(), [...trainTokens, '<eos>'].sort());
  // A valid word never seen in training is <unk> (id 0); <unk> in the text is id 0 too.
  const valid = Array.from(data.ids.valid);
  t.is(valid[0], 0, 'consumers');
  t.is(data.ids.train.slice(7, 8)[0], data.vocab.tokens.indexOf('pierre'));
  t.is(data.ids.train.slice(8, 9)[0], 0, 'the <unk> after pierre');
  const task = lmTask(lmCfg('ptb', dir), { seed: 0, cacheDir: join(dir, 'cache') }) as Task;
  t.is(task.info['vocab_size'], data.vocab.tokens.length);
  t.regex(String(task.info['corpus_splits']), /Penn Treebank/);
  rmSync(dir, { recursive: true });
});

test('Penn Treebank: a missing file or path is a one-line error naming it', (t) => {
  const dir = writePtb(tmp('ptb'));
  unlinkSync(join(dir, 'ptb.test.txt'));
  userError(t, () => lmTask(lmCfg('ptb', dir), { seed: 0, cacheDir: join(dir, 'cache') }), /missing .*ptb\.test\.txt/);
  userError(t, () => lmTask(lmCfg('ptb', null), { seed: 0, cacheDir: join(dir, 'cache') }), /task\.corpus=ptb needs task\.path=/);
  writePtb(dir, { valid: [] });
  userError(t, () => lmTask(lmCfg('ptb', dir), { seed: 0, cacheDir: join(dir, 'cache') }), /ptb\.valid\.txt is empty/);
  rmSync(dir, { recursive: true });
});

test('the report\'s comparison with the paper says which runs are on One Billion Word itself', (t) => {
  const run = (taskInfo: Record<string, unknown>) =>
    ({ taskInfo, config: { optimizer: { name: 'adam' }, train: { steps: 100000, batch_size: 32 } } }) as unknown as RunRecord;
  const on = PAPER_TASKS['lm']!.differences;
  const billion = on([run({ corpus: 'billion', corpus_splits: 'One Billion Word, /data', train_tokens: 829250940, vocab_size: 793471, vocab_cap: 'none', level: 'word' })]);
  t.regex(billion, /^Ours on One Billion Word itself \(One Billion Word, \/data\): 829250940 training tokens, vocabulary 793471/);
  t.notRegex(billion, /smaller than One Billion Word/);
  t.regex(on([run({ corpus: 'ptb', train_tokens: 929589, vocab_size: 10000 })]), /^Ours on the Penn Treebank .*hundreds of times smaller/);
  t.regex(on([run({ corpus: 'sotu', train_tokens: 1857954, vocab_size: 10000 })]), /^Ours: corpus “sotu” .*thousands of times smaller/);
});
