// Checkpoints in process: the file format (round trip, checksum, fallback to the previous file,
// the newest K kept, no temporary file left), and a trainer restored from a checkpoint continuing
// bit for bit like the trainer that wrote it: every optimizer, on the native training step and on
// the tfjs path, on the cpu and wasm backends, the carried truncated-BPTT state and the language
// model's own data cursor (which wraps around the text during the test).
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeConfig, configHash } from '../src/config/index.js';
import { checkpointDir, latestCheckpoint, listCheckpoints, readCheckpoint, writeCheckpoint } from '../src/train/checkpoint-file.js';
import type { TrainerMeta } from '../src/train/checkpoint.js';
import { createTrainer } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'irnn-ckpt-'));

test('an RNG put back to a saved state draws the same numbers, normals included', (t) => {
  const a = new Rng(7, 'x');
  a.normal(); // leaves a cached second normal in the state
  const saved = a.getState();
  const first = [a.normal(), a.uniform(), a.normal(), a.int(1000)];
  const b = new Rng(99);
  b.setState(saved);
  t.deepEqual([b.normal(), b.uniform(), b.normal(), b.int(1000)], first);
});

test('checkpoint files round-trip, keep the newest K, and leave no temporary file', (t) => {
  const dir = tmp();
  const tensors = [
    { name: 'a', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, Math.PI]) },
    { name: 'b', shape: [3], data: Float64Array.from([0.1, -2e300, 1 / 3]) },
    { name: 'c', shape: [1], data: Int32Array.from([-7]) },
  ];
  for (const step of [10, 20, 30]) writeCheckpoint(dir, { meta: { step, note: 'x' }, tensors }, 2);
  t.deepEqual(listCheckpoints(dir).map((c) => c.step), [20, 30]);
  t.deepEqual(readdirSync(dir).sort(), ['step-000000000020.ckpt', 'step-000000000030.ckpt']);
  const back = readCheckpoint(listCheckpoints(dir)[1]!.path);
  t.deepEqual(back.meta, { step: 30, note: 'x' });
  t.deepEqual(back.tensors, tensors);
});

test('a damaged newest checkpoint is detected by its checksum and the previous one is used, with one line saying so', (t) => {
  const dir = tmp();
  const tensors = [{ name: 'w', shape: [4], data: Float32Array.from([1, 2, 3, 4]) }];
  writeCheckpoint(dir, { meta: { step: 1 }, tensors }, 3);
  const { path } = writeCheckpoint(dir, { meta: { step: 2 }, tensors }, 3);
  const bytes = readFileSync(path);
  bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff; // one flipped byte in a weight
  writeFileSync(path, bytes);
  const lines: string[] = [];
  const got = latestCheckpoint(dir, (l) => lines.push(l));
  t.is(got?.content.meta.step, 1);
  t.is(lines.length, 1);
  t.regex(lines[0]!, /step-000000000002\.ckpt is damaged \(checksum mismatch\); using the previous one \(step 1\)/);
  writeFileSync(path, bytes.subarray(0, 30)); // a partial file
  t.is(latestCheckpoint(dir)?.content.meta.step, 1);
});

test('two stores in one folder, and two runs with one id, keep their checkpoints apart', (t) => {
  const run = { id: 1, uid: '3f2a9c1e-0000-4000-8000-000000000000' };
  t.not(checkpointDir('results/repro/adding.sqlite', run), checkpointDir('results/repro/mnist.sqlite', run));
  t.not(checkpointDir('results/x.sqlite', run), checkpointDir('results/x.db', run), 'x.sqlite and x.db');
  t.not(checkpointDir('results/x.sqlite', run), checkpointDir('results/x.sqlite', { id: 1, uid: '77aa9c1e-0000-4000-8000-000000000000' }), 'a store made again at one path');
  t.is(checkpointDir('results/repro/adding.sqlite', run), join('results/repro/checkpoints/adding.sqlite/1-3f2a9c1e'));
  t.is(checkpointDir(':memory:', run), null);
});

/** Trains `steps` steps, saving through a checkpoint file at step `at`; a second trainer built from
 *  the same config loads that file and trains the rest. Returns both loss series and final weights. */
async function twin(overrides: string[], steps: number, at: number, cacheDir?: string, backend = 'cpu') {
  const cfg = composeConfig({ overrides: [...overrides, `backend=${backend}`] }).config;
  const a = await createTrainer({ cfg, cacheDir });
  const b = await createTrainer({ cfg, cacheDir });
  const dir = tmp();
  const lossesA: number[] = [];
  for (let s = 0; s < steps; s++) {
    if (s === at) {
      const snap = await a.saveState();
      writeCheckpoint(dir, { meta: { step: s, trainer: snap.meta }, tensors: snap.tensors }, 1);
    }
    lossesA.push(a.step());
  }
  const file = latestCheckpoint(dir)!.content;
  await b.loadState({ meta: file.meta['trainer'] as TrainerMeta, tensors: file.tensors });
  const lossesB = [...lossesA.slice(0, at)];
  for (let s = at; s < steps; s++) lossesB.push(b.step());
  const weights = (tr: typeof a) => tr.model.variables.map((v) => Array.from(v.dataSync()));
  const out = { lossesA, lossesB, weightsA: weights(a), weightsB: weights(b), evalA: a.evaluate(), evalB: b.evaluate(), b, native: a.nativeStep };
  a.dispose();
  return out;
}

const TINY = ['task.seq_len=12', 'task.test_size=40', 'model.hidden=8'];

for (const [name, extra, native, backend] of [
  ['adam', ['optimizer=adam', 'optimizer.lr=0.01'], true, 'cpu'],
  ['sgd with momentum', ['optimizer=sgd', 'optimizer.lr=0.05', 'optimizer.momentum=0.9'], true, 'cpu'],
  ['rmsprop', ['optimizer=rmsprop', 'optimizer.lr=0.003'], false, 'cpu'],
  ['lstm with adam', ['model=lstm', 'optimizer=adam', 'optimizer.lr=0.01'], true, 'cpu'],
  ['gru with plain sgd, wasm', ['model=gru', 'optimizer=sgd', 'optimizer.lr=0.05'], true, 'wasm'],
  ['adam, wasm', ['optimizer=adam', 'optimizer.lr=0.01'], true, 'wasm'],
  ['adam on the tfjs path (bidirectional), wasm', ['optimizer=adam', 'optimizer.lr=0.01', 'model.bidirectional=true'], false, 'wasm'],
] as const) {
  test.serial(`a restored trainer continues bit for bit: ${name}`, async (t) => {
    const r = await twin([...TINY, ...extra], 60, 41, undefined, backend);
    t.is(r.native, native, 'the step path under test');
    t.deepEqual(r.lossesB, r.lossesA);
    t.deepEqual(r.weightsB, r.weightsA);
    t.deepEqual(r.evalB, r.evalA);
    r.b.dispose();
  });
}

/** A tiny character corpus and a language model that carries its state over it. */
function tinyLm(): string[] {
  const corpus = tmp();
  const line = (i: number) => `line ${i}: the quick brown fox ${i % 7} jumps over ${i * 13 % 11} lazy dogs.\n`;
  writeFileSync(join(corpus, 'train.txt'), Array.from({ length: 12 }, (_, i) => line(i)).join(''));
  writeFileSync(join(corpus, 'valid.txt'), line(100) + line(101));
  writeFileSync(join(corpus, 'test.txt'), line(200) + line(201));
  return [
    'task=lm_chars', 'task.corpus=dir', `task.corpus_dir=${corpus}`, 'task.bptt=9', 'task.embed_size=4', 'task.eval_batch_size=2',
    'model.hidden=8', 'train.batch_size=4', 'task.carry_state=true',
  ];
}

// 12 lines of about 60 characters in 4 streams: about 20 windows of 9 per pass, so 50 steps wrap twice.
for (const [name, extra, native, backend] of [
  ['adam, native step, cpu', [], true, 'cpu'],
  ['adam, native step, wasm', [], true, 'wasm'],
  ['rmsprop, tfjs path', ['optimizer=rmsprop'], false, 'cpu'],
] as const) {
  test.serial(`a language model restores its carried state and its place in the text (the windows wrap during the test): ${name}`, async (t) => {
    const r = await twin([...tinyLm(), ...extra], 50, 33, tmp(), backend);
    t.is(r.native, native, 'the step path under test');
    t.deepEqual(r.lossesB, r.lossesA);
    t.deepEqual(r.weightsB, r.weightsA);
    t.deepEqual(r.evalB, r.evalA);
    r.b.dispose();
  });
}

test.serial('loading a state into a trainer that already trained leaks no tensors', async (t) => {
  for (const opt of ['adam', 'rmsprop']) {
    const trainer = await createTrainer({ cfg: composeConfig({ overrides: [...TINY, 'model=lstm', `optimizer=${opt}`, 'backend=cpu'] }).config });
    for (let i = 0; i < 3; i++) trainer.step();
    const snap = await trainer.saveState();
    const before = tf.memory().numTensors;
    await trainer.loadState(snap);
    t.is(tf.memory().numTensors, before, opt);
    trainer.dispose();
  }
});

test('checkpoint and sweep keys leave a run\'s hash unchanged, and bad values are one-line errors', (t) => {
  const base = composeConfig({ overrides: [] }).config;
  const hash = configHash(base);
  const set = ['train.checkpoint_every=7', 'train.checkpoint_keep=5', 'sweep.scheduler=asha', 'sweep.grace=100', 'sweep.reduction_factor=4'];
  t.is(configHash(composeConfig({ overrides: set }).config), hash);
  const before = structuredClone(base) as unknown as Record<string, Record<string, unknown>>;
  delete before['train']!['checkpoint_every'];
  delete before['train']!['checkpoint_keep'];
  delete before['sweep'];
  t.is(configHash(before as unknown as typeof base), hash, 'runs stored before these keys existed keep their hashes');
  t.not(configHash(composeConfig({ overrides: ['train.eval_every=100'] }).config), hash);
  for (const [bad, message] of [
    ['sweep.scheduler=hyperband', /sweep\.scheduler: expected one of grid, asha/],
    ['sweep.reduction_factor=1', /sweep\.reduction_factor: expected a whole number >= 2/],
    ['train.checkpoint_keep=0', /train\.checkpoint_keep: expected a whole number > 0/],
    ['train.checkpoint_every=2.5', /train\.checkpoint_every: expected a whole number > 0/],
  ] as const) {
    t.throws(() => composeConfig({ overrides: [bad] }), { message }, bad);
  }
});
