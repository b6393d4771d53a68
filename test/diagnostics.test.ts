// Gradient-flow diagnostics above the kernels: matrix health against known matrices, the probe
// module on real models (engines agree, nothing in the model changes), lag alignment of padded
// batches, the `train.diagnostics` switch, and the store (one transaction per evaluation, the
// last profile's summary, a run's metrics unchanged by measuring).
import test, { type ExecutionContext } from 'ava';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeConfig, configHash } from '../src/config/index.js';
import { Db } from '../src/store/db.js';
import { decadesFallen, diagnosticsOf, lastProfile, logDiagnostics } from '../src/store/diagnostics.js';
import { createRun, metricHistory } from '../src/store/runs.js';
import { byLag, createProbe, diagnosticsOn, type DiagnosticRow } from '../src/train/diagnostics.js';
import { TIMING_METRICS, train } from '../src/train/run.js';
import { identityDistance, sigmaMax, spectralRadius } from '../src/train/spectral.js';
import { createTrainer } from '../src/train/trainer.js';
import { isUserError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';

const close = (t: { true(v: boolean, m?: string): void }, a: number, b: number, tol: number, what: string) =>
  t.true(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** C = A B for row-major n x n matrices. */
const mul = (A: Float64Array, B: Float64Array, n: number) => {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) C[i * n + j]! += A[i * n + k]! * B[k * n + j]!;
  return C;
};
const rotation = (theta: number, s: number) => Float64Array.from([s * Math.cos(theta), -s * Math.sin(theta), s * Math.sin(theta), s * Math.cos(theta)]);

test('spectral radius and largest singular value of a rotation times a scale', (t) => {
  for (const [theta, s] of [[0.7, 0.93], [2.1, 1.7], [Math.PI / 2, 0.2]] as const) {
    close(t, spectralRadius(rotation(theta, s), 2), s, 1e-12, `rho, theta ${theta}`);
    close(t, sigmaMax(rotation(theta, s), 2), s, 1e-12, `sigma, theta ${theta}`);
  }
});

test('spectral radius of rotation blocks hidden by an orthogonal change of basis, and of a non-normal matrix', (t) => {
  const n = 6;
  const D = new Float64Array(n * n);
  const put = (r: number, M: Float64Array) => M.forEach((v, i) => (D[(r + (i >> 1)) * n + r + (i & 1)] = v));
  put(0, rotation(1.1, 0.6));
  put(2, rotation(0.4, 0.9)); // the dominant pair: |λ| = 0.9
  D[4 * n + 4] = 0.3;
  D[5 * n + 5] = -0.2;
  const v = Float64Array.from([1, -2, 0.5, 3, 1, -1]);
  const vv = v.reduce((a, x) => a + x * x, 0);
  const Q = new Float64Array(n * n).map((_, k) => (Math.floor(k / n) === k % n ? 1 : 0) - (2 * v[Math.floor(k / n)]! * v[k % n]!) / vv); // Householder
  const A = mul(mul(Q, D, n), Q, n); // Q = Q^T = Q^-1
  close(t, spectralRadius(A, n), 0.9, 1e-9, 'rho');
  close(t, sigmaMax(A, n), 0.9, 1e-9, 'sigma');
  // Non-normal: eigenvalues 0.5 and 0.8, but a large off-diagonal entry makes sigma_max > 3.
  const N = Float64Array.from([0.5, 3, 0, 0.8]);
  close(t, spectralRadius(N, 2), 0.8, 1e-9, 'rho, non-normal');
  const [tr, det] = [0.25 + 9 + 0.64, (0.5 * 0.8) ** 2]; // of N^T N
  close(t, sigmaMax(N, 2), Math.sqrt((tr + Math.sqrt(tr * tr - 4 * det)) / 2), 1e-9, 'sigma, non-normal');
  t.is(spectralRadius(new Float64Array(4), 2), 0);
});

test('distance from the scaled identity', (t) => {
  const I = Float64Array.from([0.5, 0, 0, 0.5]);
  t.is(identityDistance(I, 2, 0.5), 0);
  close(t, identityDistance(Float64Array.from([0.5, 0.1, 0, 0.5]), 2, 0.5), 0.1 / (0.5 * Math.SQRT2), 1e-12, 'one entry moved');
});

test('per-lag values of a padded batch are aligned on each sequence\'s own last step', (t) => {
  // Row 0 has length 4, row 1 length 2; value(t, b) = 10 b + t.
  const v = (s: number, b: number) => 10 * b + s;
  const sum = byLag(v, 4, 2, Int32Array.from([4, 2]), false);
  t.deepEqual(sum.map((x) => Number(x.toFixed(9))), [Math.hypot(3, 11), Math.hypot(2, 10), 1, 0].map((x) => Number(x.toFixed(9))));
  const rms = byLag(v, 4, 2, Int32Array.from([4, 2]), true);
  close(t, rms[0]!, Math.sqrt((9 + 121) / 2), 1e-12, 'rms lag 1');
  close(t, rms[2]!, 1, 1e-12, 'rms lag 3: one row only');
});

test('train.diagnostics: null (auto) turns on for at most 500 steps per evaluation; a wrong value is a user error', (t) => {
  const cfg = (o: string[]) => composeConfig({ overrides: o }).config.train;
  t.is(cfg([]).diagnostics, null);
  t.true(diagnosticsOn(cfg([])));
  t.false(diagnosticsOn(cfg(['train.diagnostics=auto', 'train.eval_every=1000'])));
  t.true(diagnosticsOn(cfg(['train.eval_every=500'])));
  t.false(diagnosticsOn(cfg(['train.eval_every=501'])));
  t.true(diagnosticsOn(cfg(['train.eval_every=10000', 'train.diagnostics=true'])));
  t.false(diagnosticsOn(cfg(['train.diagnostics=false'])));
  t.false(diagnosticsOn(composeConfig({ overrides: ['+experiment=paper/adding'] }).config.train));
  // Measuring never changes what a run computes (see the last test), so it is not part of the run's identity.
  const hash = (o: string[]) => configHash(composeConfig({ overrides: o }).config);
  t.is(hash(['train.diagnostics=true']), hash([]));
  t.is(hash(['train.diagnostics=false']), hash([]));
  const e = t.throws(() => cfg(['train.diagnostics=sometimes']));
  t.true(isUserError(e));
  t.regex(e!.message, /train\.diagnostics: expected one of auto, true, false/);
});

const small = ['task.seq_len=12', 'task.test_size=40', 'model.hidden=8', 'train.batch_size=4', 'backend=wasm'];

async function measure(t: ExecutionContext, overrides: string[]): Promise<DiagnosticRow[]> {
  const trainer = await createTrainer({ cfg: composeConfig({ overrides: [...small, ...overrides] }).config });
  for (let i = 0; i < 3; i++) trainer.step(); // away from the initial weights
  const probe = createProbe({ task: trainer.task, model: trainer.model, batchSize: 4 });
  const weights = trainer.model.variables.map((v) => Array.from(v.dataSync()));
  const before = tf.memory().numTensors;
  const rows = probe.measure();
  t.is(tf.memory().numTensors, before, 'measure leaks no tensors');
  t.true(trainer.model.variables.every((v, i) => v.dataSync().every((x, j) => x === weights[i]![j])), 'measure changes no weight');
  trainer.dispose();
  return rows;
}

for (const model of ['irnn', 'rnn_tanh', 'lstm', 'gru']) {
  test.serial(`${model}, 2 layers both ways: fused and unrolled diagnostics agree; the model is left as it was`, async (t) => {
    const shape = [`model=${model}`, 'model.layers=2', 'model.bidirectional=true'];
    const f = await measure(t, [...shape, 'model.engine=fused']);
    const u = await measure(t, [...shape, 'model.engine=unrolled']);
    t.is(f.length, u.length);
    const key = (r: DiagnosticRow) => `${r.quantity} ${r.layer}/${r.direction} lag ${r.lag}`;
    const um = new Map(u.map((r) => [key(r), r.value]));
    for (const r of f) close(t, r.value, um.get(key(r))!, 2e-4, key(r));
    // Every layer and direction, every lag; the LSTM also has its cell state.
    for (const q of ['grad_h', 'state_norm', ...(model === 'lstm' ? ['grad_c'] : [])]) {
      for (const [l, d] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        t.deepEqual(f.filter((r) => r.quantity === q && r.layer === l && r.direction === d).map((r) => r.lag), Array.from({ length: 12 }, (_, i) => i + 1), `${q} ${l}/${d}`);
      }
    }
    t.is(f.some((r) => r.quantity === 'grad_c'), model === 'lstm');
    t.is(f.filter((r) => r.quantity === 'dead_fraction').length, model === 'irnn' ? 4 : 0);
    t.is(f.filter((r) => r.quantity === 'identity_distance').length, model === 'irnn' ? 4 : 0);
    t.is(f.filter((r) => r.quantity === 'spectral_radius').length, 4);
    t.true(f.filter((r) => r.quantity === 'grad_h').every((r) => r.value >= 0) && f.some((r) => r.quantity === 'grad_h' && r.value > 0));
  });
}

test.serial('an IRNN at initialisation is the identity: radius 1, largest singular value 1, distance 0', async (t) => {
  const trainer = await createTrainer({ cfg: composeConfig({ overrides: small }).config });
  const rows = createProbe({ task: trainer.task, model: trainer.model, batchSize: 4 }).measure();
  const one = (q: string) => rows.find((r) => r.quantity === q)!.value;
  close(t, one('spectral_radius'), 1, 1e-12, 'radius');
  close(t, one('sigma_max'), 1, 1e-12, 'sigma');
  t.is(one('identity_distance'), 0);
  trainer.dispose();
});

const tmpDb = () => Db.open(join(mkdtempSync(join(tmpdir(), 'irnn-diag-')), 'r.sqlite'));

test('the store writes one evaluation at once, replaces it when logged again, and summarises the last profile', async (t) => {
  const db = await tmpDb();
  const id = await createRun(db, { task: 'adding', model: 'rnn_tanh', seed: 0, config: {}, configHash: 'h', overrides: [], steps: 10, git: { commit: null, dirty: null }, versions: {}, host: 'h', pid: 1 });
  const profile = (step: number, fall: number): DiagnosticRow[] => [
    ...Array.from({ length: 250 }, (_, k) => ({ quantity: 'grad_h' as const, layer: 0, direction: 0, lag: k + 1, value: 0.5 * 10 ** (-fall * (k / 249)) })),
    { quantity: 'spectral_radius', layer: 0, direction: 0, lag: 0, value: 0.5 + step },
  ];
  await logDiagnostics(db, id, 0, profile(0, 1));
  await logDiagnostics(db, id, 10, profile(10, 3));
  await logDiagnostics(db, id, 10, profile(10, 3)); // again: replaced, not doubled
  const rows = (await diagnosticsOf(db, [id])).get(id)!;
  t.is(rows.length, 2 * 251);
  const last = (await lastProfile(db, id))!;
  t.is(last.step, 10);
  t.is(last.profiles.length, 1);
  t.is(last.profiles[0]!.lags, 250);
  close(t, last.profiles[0]!.decades!, 3, 1e-9, 'decades');
  t.is(last.matrices[0]!.values['spectral_radius'], 10.5);
  // A failing write inside the transaction leaves nothing of that evaluation.
  const bad = profile(20, 1).map((r, i) => (i === 150 ? { ...r, layer: null as unknown as number } : r)); // fails in the 2nd statement
  await t.throwsAsync(logDiagnostics(db, id, 20, bad), { message: /NOT NULL/ });
  t.is((await diagnosticsOf(db, [id])).get(id)!.length, 2 * 251);
  t.is(await lastProfile(db, id + 1), null);
  await db.close();
});

test('decades fallen: a profile that underflows to 0 is a lower bound, with the lag where it reached 0', (t) => {
  t.deepEqual(decadesFallen([1, 0.1, 0.01]), { decades: 2, zeroFrom: null });
  t.deepEqual(decadesFallen([1, 1e-3, 0, 0]), { decades: 3, zeroFrom: 3 });
  t.deepEqual(decadesFallen([0, 1]), { decades: null, zeroFrom: null });
});

test.serial('a run stores a profile at every evaluation and trains exactly as without diagnostics', async (t) => {
  const series: Array<Array<{ step: number; name: string; value: number | null }>> = [];
  for (const on of [true, false]) {
    const db = await tmpDb();
    const r = await train({ resolved: composeConfig({ overrides: [...small, 'model=lstm', 'train.steps=20', 'train.eval_every=10', `train.diagnostics=${on}`] }), db });
    // Everything but the machine's timings.
    const history = await metricHistory(db, r.runId);
    series.push(history.filter((m) => !TIMING_METRICS.includes(m.name)).map(({ step, name, value }) => ({ step, name, value })));
    const rows = (await diagnosticsOf(db, [r.runId])).get(r.runId)!;
    if (on) {
      t.deepEqual([...new Set(rows.map((x) => x.step))], [0, 10, 20]);
      t.is(rows.filter((x) => x.step === 20 && x.quantity === 'grad_c').length, 12);
    } else {
      t.is(rows.length, 0);
    }
    await db.close();
  }
  t.is(series[0]!.length, 8); // test_mse and valid_mse at 0, 10, 20; train_loss at 10, 20
  t.deepEqual(series[0], series[1]);
});

test.serial('language modelling: the probe batch comes from its seed alone and leaves the training streams where they were', async (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'irnn-diag-lm-'));
  const cfg = composeConfig({ overrides: ['task=lm_words', 'task.vocab_size=300', 'task.bptt=8', 'task.eval_tokens=400', 'task.embed_size=8', 'model.hidden=8', 'train.batch_size=4', 'backend=cpu'] }).config;
  const [a, b] = [await createTrainer({ cfg, cacheDir }), await createTrainer({ cfg, cacheDir })];
  const rng = () => new Rng(0, 'gradient-probe');
  const probe = a.task.probeBatch!(4, rng());
  t.deepEqual(a.task.probeBatch!(4, rng()), probe);
  const [x, y] = [probe.x as Int32Array, probe.y as Int32Array];
  for (let r = 0; r < 4; r++) t.deepEqual(x.subarray(r * 8 + 1, r * 8 + 8), y.subarray(r * 8, r * 8 + 7), 'y is x one token later');
  const plain = Array.from({ length: 3 }, () => b.task.trainBatch(4, rng()).x);
  const interleaved = Array.from({ length: 3 }, () => {
    a.task.probeBatch!(4, rng());
    return a.task.trainBatch(4, rng()).x;
  });
  t.deepEqual(interleaved, plain);
  a.dispose();
  b.dispose();
});
