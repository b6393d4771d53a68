// TIMIT read from files written here: NIST SPHERE headers and samples in both byte orders, the
// distribution's layout in either case and its standard splits, .PHN parsing, frame labels and the
// 61 -> 48 -> 39 folding of Lee & Hon, the frame error rate counted on the 39 (against a fake
// predictor whose guesses are chosen here), the cache, every malformed input as a one-line
// UserError naming its file, and what a report says of runs on TIMIT.
import test, { type ExecutionContext } from 'ava';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { frameCount } from '../src/data/features.js';
import { NO_LABEL } from '../src/data/speech-cache.js';
import { decodeSphere, parseSphereHeader, probeSphere } from '../src/data/sphere.js';
import { parsePhn, prepareTimit, timitFrameLabels } from '../src/data/timit.js';
import { CORE_TEST_SPEAKERS, DEV_SPEAKERS, timitLayout } from '../src/data/timit-layout.js';
import { fold39, fold48, PHONES_39, TIMIT_LABEL_SETS, TIMIT_PHONES } from '../src/data/timit-phones.js';
import { PAPER_TASKS } from '../src/report/paper.js';
import type { RunRecord } from '../src/store/runs.js';
import { speechTask } from '../src/tasks/speech.js';
import type { Predict, Task } from '../src/tasks/task.js';
import { isUserError } from '../src/util/errors.js';
import { encodeSphere, MINI_TIMIT, tmp, utterance, sentence, writeTimit } from './data-writers.js';

function userError(t: ExecutionContext, f: () => unknown, pattern: RegExp): void {
  const e = t.throws(f);
  t.true(isUserError(e), e?.message);
  t.regex(e?.message ?? '', pattern);
  t.false((e?.message ?? '').includes('\n'), 'one line');
}

async function userErrorAsync(t: ExecutionContext, f: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  const e = await t.throwsAsync(f);
  t.true(isUserError(e), e?.message);
  t.regex(e?.message ?? '', pattern);
  t.false((e?.message ?? '').includes('\n'), 'one line');
}

const cfg = (path: string | null, over: Record<string, unknown> = {}) => ({
  name: 'speech', source: 'timit', path, timit_labels: 61, deltas: true, delta_deltas: false, eval_batch_size: 2, ...over,
});

test('SPHERE: fields of every type, samples in either byte order, the header size from line 2', (t) => {
  const samples = [0, 1, -1, 32767, -32768, 1234, -4321];
  const le = encodeSphere(samples, { fields: { note: 'two words', gain: 1.5 } });
  const be = encodeSphere(samples, { byteOrder: '10', headerBytes: 2048 });
  const h = parseSphereHeader(le, 'le.wav');
  t.is(h.headerBytes, 1024);
  t.like(h.fields, { sample_rate: 16000, channel_count: 1, sample_n_bytes: 2, sample_byte_format: '01', note: 'two words', gain: 1.5 });
  const a = decodeSphere(le, 'le.wav');
  const b = decodeSphere(be, 'be.wav');
  t.is(parseSphereHeader(be, 'be.wav').headerBytes, 2048);
  t.deepEqual(Array.from(a.samples), samples.map((v) => v / 32768));
  t.deepEqual(Array.from(b.samples), Array.from(a.samples));
  // The big-endian bytes really are swapped on disk.
  t.is(be.readInt16BE(2048 + 2 * 5), 1234);
  t.not(be.readInt16LE(2048 + 2 * 5), 1234);
  // Without sample_count the file's length says how many samples there are.
  t.is(decodeSphere(encodeSphere(samples, { fields: { sample_count: null } }), 'x').samples.length, samples.length);
});

test('SPHERE: malformed, compressed or unexpected files are one-line errors naming the file', (t) => {
  const ok = encodeSphere([1, 2, 3, 4]);
  const dir = tmp('sphere');
  const file = join(dir, 'SI1.WAV');
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.from('RIFF....WAVEfmt '), /SI1\.WAV: not a valid NIST SPHERE file .*RIFF\/WAVE/],
    [Buffer.from('hello world, not audio'), /SI1\.WAV: not a valid NIST SPHERE file .*NIST_1A/],
    [Buffer.from(ok.toString('latin1').replace('   1024', '   abcd'), 'latin1'), /header size 'abcd'/],
    [Buffer.from(ok.toString('latin1').replace('end_head', 'note -s3 abc'), 'latin1'), /no end_head/],
    [Buffer.from(ok.toString('latin1').replace('end_head', 'end_hxad'), 'latin1'), /header line 'end_hxad' is not 'name -type value'/],
    [Buffer.from(ok.toString('latin1').replace('sample_rate -i 16000', 'sample_rate -i 16k00'), 'latin1'), /sample_rate: '16k00' is not an integer/],
    [ok.subarray(0, 600), /ends inside its 1024-byte header/],
    [ok.subarray(0, 1024 + 5), /promises 4 samples, the file holds 2: truncated/],
    [encodeSphere([1, 2], { fields: { sample_coding: 'pcm,embedded-shorten-v2.00' } }), /shorten-compressed/],
    [encodeSphere([1, 2], { fields: { sample_coding: 'ulaw' } }), /sample_coding 'ulaw' is not plain PCM/],
    [encodeSphere([1, 2], { sampleRate: 8000 }), /sample_rate 8000 Hz; this task needs 16000 Hz/],
    [encodeSphere([1, 2], { fields: { channel_count: 2 } }), /2 channels/],
    [encodeSphere([1, 2], { fields: { sample_n_bytes: 1 } }), /1-byte samples/],
    [encodeSphere([1, 2], { byteOrder: '1' }), /sample_byte_format '1'/],
    [encodeSphere([1, 2], { fields: { sample_rate: null } }), /lacks sample_rate/],
  ];
  for (const [bytes, pattern] of cases) {
    writeFileSync(file, bytes);
    userError(t, () => probeSphere(file, { sampleRate: 16000 }), pattern);
    userError(t, () => decodeSphere(bytes, file, { sampleRate: 16000 }), pattern);
  }
  rmSync(dir, { recursive: true });
});

test('the 61 labels fold to Lee & Hon\'s 48 and 39; q is removed', (t) => {
  t.is(new Set(TIMIT_PHONES).size, 61);
  t.is(TIMIT_LABEL_SETS[61].classes.length, 60);
  t.false(TIMIT_LABEL_SETS[61].classes.includes('q'));
  t.is(TIMIT_LABEL_SETS[48].classes.length, 48);
  t.is(TIMIT_LABEL_SETS[39].classes.length, 39);
  t.is(PHONES_39.length, 39);
  for (const [from, to48, to39] of [
    ['ao', 'ao', 'aa'], ['ax-h', 'ax', 'ah'], ['axr', 'er', 'er'], ['hv', 'hh', 'hh'], ['ix', 'ix', 'ih'], ['el', 'el', 'l'],
    ['em', 'm', 'm'], ['en', 'en', 'n'], ['nx', 'n', 'n'], ['eng', 'ng', 'ng'], ['zh', 'zh', 'sh'], ['ux', 'uw', 'uw'],
    ['pcl', 'cl', 'sil'], ['bcl', 'vcl', 'sil'], ['h#', 'sil', 'sil'], ['pau', 'sil', 'sil'], ['epi', 'epi', 'sil'], ['dx', 'dx', 'dx'],
  ] as const) {
    t.is(fold48(from), to48, from);
    t.is(fold39(from), to39, from);
  }
  t.is(fold48('q'), null);
  t.is(fold39('q'), null);
  // Each training class maps to the 39-phone id of what it folds to.
  for (const n of [61, 48, 39] as const) {
    const set = TIMIT_LABEL_SETS[n];
    set.classes.forEach((c, i) => t.is(PHONES_39[set.to39[i]!] ?? null, fold39(c)));
  }
});

test('.PHN: segments in samples; a frame takes the segment under its centre sample, q and gaps none', (t) => {
  const phn = '0 450 h#\n450 700 q\n700 1000 ax-h\n1000 1300 dcl\n1300 1700 zh\n';
  const segs = parsePhn(phn, 'x.PHN', 2000);
  t.deepEqual(segs[2], { start: 700, end: 1000, label: 'ax-h' });
  const T = frameCount(2000); // 11 frames, centres 200, 360, ..., 1800
  t.is(T, 11);
  const name = (set: 61 | 48 | 39) => Array.from(timitFrameLabels(segs, T, TIMIT_LABEL_SETS[set].classOf), (id) => (id === NO_LABEL ? '-' : TIMIT_LABEL_SETS[set].classes[id]));
  t.deepEqual(name(61), ['h#', 'h#', '-', '-', 'ax-h', 'dcl', 'dcl', 'zh', 'zh', 'zh', '-']);
  t.deepEqual(name(48), ['sil', 'sil', '-', '-', 'ax', 'vcl', 'vcl', 'zh', 'zh', 'zh', '-']);
  t.deepEqual(name(39), ['sil', 'sil', '-', '-', 'ah', 'sil', 'sil', 'sh', 'sh', 'sh', '-']);
  for (const [text, pattern] of [
    ['0 450\n', /x\.PHN: line 1 has 2 fields/],
    ['0 450 h#\n450 x00 aa\n', /x\.PHN: line 2 '450 x00' are not sample numbers/],
    ['0 450 h#\n450 700 schwa\n', /line 2 'schwa' is not one of TIMIT's 61 phone labels/],
    ['0 450 h#\n700 600 aa\n', /line 2 ends \(600\) before it starts \(700\)/],
    ['300 450 h#\n0 300 aa\n', /line 2 starts at 0, before the segment above it/],
    ['0 450 h#\n2500 2600 aa\n', /line 2 starts at sample 2500, after the audio's 2000 samples/],
    ['\n\n', /x\.PHN: no phone segments/],
  ] as const) userError(t, () => parsePhn(text, 'x.PHN', 2000), pattern);
});

for (const lower of [false, true]) {
  test(`layout (${lower ? 'lower' : 'upper'}-case names): training speakers, development and core test speakers, no SA sentences`, (t) => {
    const root = writeTimit(tmp('timit'), { lower });
    const layout = timitLayout(root);
    const names = (s: 'train' | 'valid' | 'test') => layout.splits[s].utterances.map((u) => u.name.toUpperCase());
    t.deepEqual(names('train'), ['TRAIN/DR1/FCJF0/SI1027', 'TRAIN/DR1/FCJF0/SX37', 'TRAIN/DR2/MKLS0/SI1437', 'TRAIN/DR2/MKLS0/SX177', 'TRAIN/DR2/MKLS0/SX357']);
    t.deepEqual(names('valid'), ['TEST/DR1/FAKS0/SI943', 'TEST/DR1/FAKS0/SX133']);
    // Core test speakers in the order of the core test list; MZZZ0 is in neither set.
    t.deepEqual(names('test'), ['TEST/DR1/MDAB0/SI1039', 'TEST/DR1/MDAB0/SX139', 'TEST/DR2/FPAS0/SX224']);
    t.deepEqual(layout.splits.test.speakers.map((s) => [s.name, s.dialect]), [['MDAB0', 'DR1'], ['FPAS0', 'DR2']]);
    const ids = ['train', 'valid', 'test'].flatMap((s) => layout.splits[s as 'train'].speakers.map((sp) => sp.id));
    t.deepEqual(ids, [0, 1, 2, 3, 4], 'speaker ids unique across splits');
    // The layout may also sit one level down, in a TIMIT folder, as on the LDC disc.
    const outer = tmp('timit-outer');
    renameSync(root, join(outer, lower ? 'timit' : 'TIMIT'));
    t.is(timitLayout(outer).splits.train.utterances.length, 5);
    rmSync(outer, { recursive: true });
  });
}

test('the standard speaker lists: 50 development and 24 core test speakers, disjoint', (t) => {
  t.is(new Set(DEV_SPEAKERS).size, 50);
  t.is(new Set(CORE_TEST_SPEAKERS).size, 24);
  t.true(CORE_TEST_SPEAKERS.every((s) => !(DEV_SPEAKERS as readonly string[]).includes(s)));
  // Two men and one woman per dialect region.
  t.is(CORE_TEST_SPEAKERS.filter((s) => s.startsWith('F')).length, 8);
});

test('a wrong path, a missing split, a missing or malformed file: one-line errors naming it', (t) => {
  userError(t, () => timitLayout('/nowhere/timit'), /task\.path: \/nowhere\/timit is not a folder/);
  const empty = tmp('timit-empty');
  userError(t, () => timitLayout(empty), /holds no TRAIN and TEST folders/);
  const noCore = writeTimit(tmp('timit'), { speakers: MINI_TIMIT.filter(([, , s]) => s !== 'MDAB0' && s !== 'FPAS0') });
  userError(t, () => timitLayout(noCore), /TEST has none of the 24 core test speakers .*the test split is empty/);
  const noDev = writeTimit(tmp('timit'), { speakers: MINI_TIMIT.filter(([, , s]) => s !== 'FAKS0') });
  userError(t, () => timitLayout(noDev), /none of the 50 development speakers .*valid split is empty/);
  const noPhn = writeTimit(tmp('timit'));
  rmSync(join(noPhn, 'TRAIN', 'DR2', 'MKLS0', 'SX177.PHN'));
  userError(t, () => timitLayout(noPhn), /MKLS0\/SX177\.PHN: missing/);
  const onlySa = writeTimit(tmp('timit'), { speakers: [...MINI_TIMIT.slice(1), ['TRAIN', 'DR1', 'FCJF0', ['SA1', 'SA2']]] });
  userError(t, () => timitLayout(onlySa), /FCJF0: no SI or SX sentence/);
  for (const d of [empty, noCore, noDev, noPhn, onlySa]) rmSync(d, { recursive: true });
});

test('bad audio or labels stop the corpus before anything is cached, naming the file', async (t) => {
  const cacheDir = tmp('timit-cache');
  const corrupt = async (file: string[], bytes: Buffer | string, pattern: RegExp) => {
    const root = writeTimit(tmp('timit'));
    writeFileSync(join(root, ...file), bytes);
    await userErrorAsync(t, async () => speechTask(cfg(root), { seed: 0, cacheDir }), pattern);
    t.throws(() => readdirSync(join(cacheDir, 'speech')), undefined, 'no cache written');
    rmSync(root, { recursive: true });
  };
  await corrupt(['TEST', 'DR2', 'FPAS0', 'SX224.WAV'], Buffer.from('NIST_1A\n   1024\nsample_rate -i 16000\n'), /FPAS0\/SX224\.WAV: not a valid NIST SPHERE file/);
  await corrupt(['TRAIN', 'DR1', 'FCJF0', 'SX37.WAV'], encodeSphere(utterance(sentence(1)).samples, { fields: { sample_coding: 'pcm,embedded-shorten-v2.00' } }), /SX37\.WAV: shorten-compressed/);
  await corrupt(['TEST', 'DR1', 'FAKS0', 'SI943.PHN'], '0 100 h#\n100 2000 xx\n', /FAKS0\/SI943\.PHN: line 2 'xx' is not one of TIMIT's 61/);
  await userErrorAsync(t, async () => speechTask(cfg(null), { seed: 0, cacheDir }), /task\.source=timit needs task\.path/);
  await userErrorAsync(t, async () => speechTask(cfg('/nowhere'), { seed: 0, cacheDir }), /task\.path: \/nowhere is not a folder/);
  await userErrorAsync(t, async () => speechTask(cfg('/nowhere', { timit_labels: 40 }), { seed: 0, cacheDir }), /task\.timit_labels: expected one of 39, 48, 61, got 40/);
  rmSync(cacheDir, { recursive: true });
});

test('features and frame labels of every sentence; the cache is reused, and rebuilt when a file changes', (t) => {
  const root = writeTimit(tmp('timit'));
  const cacheDir = tmp('timit-cache');
  const a = prepareTimit({ path: root, labels: 61, deltas: true, deltaDeltas: true, cacheDir });
  t.false(a.fromCache);
  t.is(a.featureSize, 120);
  const train = a.splits.train;
  t.is(train.n, 5);
  // Each sentence's frames and labels come from its own audio and .PHN file.
  const u = utterance(sentence(1)); // TRAIN/DR1/FCJF0/SI1027: the writer's second sentence, after SA1
  t.is(train.texts[0], 'TRAIN/DR1/FCJF0/SI1027');
  const T = frameCount(u.samples.length);
  t.is(train.offsets[1]! - train.offsets[0]!, T);
  const expected = timitFrameLabels(parsePhn(u.phn, 'x', u.samples.length), T, TIMIT_LABEL_SETS[61].classOf);
  t.deepEqual(Array.from(train.labels.subarray(train.offsets[0]!, train.offsets[1]!)), Array.from(expected));
  t.true(expected.includes(NO_LABEL), 'the q of this sentence has no label');
  t.deepEqual(Array.from(train.speakerIds), [0, 0, 1, 1, 1]);
  const b = prepareTimit({ path: root, labels: 61, deltas: true, deltaDeltas: true, cacheDir });
  t.true(b.fromCache);
  t.deepEqual(b.splits.test.features, a.splits.test.features);
  t.deepEqual(b.splits.valid.speakers, a.splits.valid.speakers);
  t.false(prepareTimit({ path: root, labels: 39, deltas: true, deltaDeltas: true, cacheDir }).fromCache, 'another label set, another cache');
  const phn = join(root, 'TEST', 'DR1', 'MDAB0', 'SX139.PHN');
  writeFileSync(phn, readFileSync(phn, 'latin1').replace(/ h#\n$/, ' pau\n'));
  t.false(prepareTimit({ path: root, labels: 61, deltas: true, deltaDeltas: true, cacheDir }).fromCache, 'a changed .PHN file is read afresh');
  for (const d of [root, cacheDir]) rmSync(d, { recursive: true });
});

test('FER is counted on the 39 phones: a guess that folds to the truth is right, q frames are not scored', async (t) => {
  const root = writeTimit(tmp('timit'));
  const cacheDir = tmp('timit-cache');
  const task = (await speechTask(cfg(root), { seed: 0, cacheDir })) as Task;
  const set = TIMIT_LABEL_SETS[61];
  t.is(task.outputSize, 60);
  t.is(task.info['source'], 'timit');
  t.is(task.info['speakers'], '2/1/2');
  t.is(task.info['speakers_expected'], '462/50/24');
  const id = (p: string) => set.classes.indexOf(p);
  // Answers an allophone the 39-phone folding merges with the truth (ix for ih, ao for aa, ...),
  // and a wrong phone (s) wherever the truth is zh, which folds to sh.
  const sibling: Record<string, string> = { ih: 'ix', ix: 'ih', aa: 'ao', ao: 'aa', uw: 'ux', ux: 'uw', 'h#': 'pau', pau: 'epi', l: 'el', el: 'l', hh: 'hv', hv: 'hh', tcl: 'kcl', kcl: 'bcl', dcl: 'pcl', zh: 's' };
  const predict: Predict = (batch) => {
    const C = set.classes.length;
    const out = new Float32Array(batch.y.length * C);
    batch.y.forEach((y, i) => (out[i * C + id(sibling[set.classes[y]!] ?? set.classes[y]!)] = 1));
    return { out, lossSum: 0, count: 1 };
  };
  const corpus = prepareTimit({ path: root, labels: 61, deltas: true, deltaDeltas: false, cacheDir });
  const labels = Array.from(corpus.splits.test.labels);
  const scored = labels.filter((l) => l !== NO_LABEL).length;
  const zh = labels.filter((l) => l === id('zh')).length;
  t.true(zh > 0 && scored < labels.length, 'the test sentences have zh and q frames');
  t.is(task.evaluate('test', predict)['test_fer'], zh / scored);
  t.is(task.info['test_scored_frames'], scored);
  const d = task.details!(predict) as { test_fer_by_phone: Record<string, { frames: number; fer: number | null }>; folding: string };
  t.deepEqual(Object.keys(d.test_fer_by_phone), [...PHONES_39]);
  t.deepEqual(d.test_fer_by_phone['sh'], { frames: labels.filter((l) => l === id('sh') || l === id('zh')).length, fer: zh / labels.filter((l) => l === id('sh') || l === id('zh')).length });
  t.is(Object.values(d.test_fer_by_phone).reduce((a, p) => a + p.frames, 0), scored);
  // The network's outputs follow the label set it is trained on.
  for (const n of [48, 39]) t.is(((await speechTask(cfg(root, { timit_labels: n }), { seed: 0, cacheDir })) as Task).outputSize, n);
  for (const d of [root, cacheDir]) rmSync(d, { recursive: true });
});

test('files beside the distribution\'s (.WRD, converted .wav copies, other folders) are ignored', (t) => {
  const root = writeTimit(tmp('timit'));
  const dir = join(root, 'TRAIN', 'DR1', 'FCJF0');
  writeFileSync(join(dir, 'SI1027.WRD'), '0 100 she\n');
  writeFileSync(join(dir, 'SI1027.WAV.wav'), Buffer.from('RIFF'));
  mkdirSync(join(root, 'TRAIN', 'DR1', 'notes'));
  t.is(timitLayout(root).splits.train.utterances.length, 5);
  rmSync(root, { recursive: true });
});

test('the report\'s comparison with the paper says which runs are on TIMIT itself', (t) => {
  const run = (taskInfo: Record<string, unknown>) =>
    ({ taskInfo, config: { model: { layers: 2, bidirectional: true, hidden: 500 }, optimizer: { name: 'adam' } } }) as unknown as RunRecord;
  const timitRun = run({ source: 'timit', speakers: '462/50/24', speakers_expected: '462/50/24', phones: 60, feature_size: 120, train_utterances: 3696 });
  const synthetic = run({ speakers: '40/8/16', phones: 40, feature_size: 80, train_utterances: 1000 });
  const on = PAPER_TASKS['speech']!.differences;
  t.regex(on([timitRun]), /^Ours on TIMIT itself: speakers train\/valid\/test 462\/50\/24 .*3696 training utterances, trained on 60 classes/);
  t.notRegex(on([timitRun]), /synthesized/);
  t.regex(on([synthetic]), /^Ours: synthesized speech/);
  t.regex(on([synthetic, timitRun]), /^Ours: synthesized speech.* Ours on TIMIT itself/);
});
