// Report statistics and selection on a store written directly (no training): mean / std / n against
// hand-computed values, the best setting per model under both goals, diverged runs marked (not
// hidden), --where, --sweep, the empty selection, and byte-identical reports from the same store.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeConfig, configHash } from '../src/config/index.js';
import { Db } from '../src/store/db.js';
import { createRun, describeRun, finishRun, listRuns, logMetrics, type RunRecord, type RunStatus } from '../src/store/runs.js';
import { buildReport, makeReport } from '../src/report/index.js';
import { paperValues } from '../src/report/task-section.js';
import { groupRuns, loadHistories, selectRuns } from '../src/report/queries.js';
import { taskMeta } from '../src/report/metrics.js';
import { bestPerModel, modelStats, settingStats, summarize } from '../src/report/stats.js';
import { filterRuns } from '../src/report/where.js';
import { renderHtml } from '../src/report/render.js';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
function irnn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface Fake {
  overrides: string[];
  /** The main metric at steps 0, 10, 20 (the last is the final value). */
  curve: number[];
  /** The validation twin at the same steps (default: the same values as `curve`). */
  valid?: number[];
  status?: Exclude<RunStatus, 'running'>;
  /** Task info beyond seq_len; without `main_metric`, a run as stored before runs recorded it. */
  info?: Record<string, unknown>;
}

/** Writes a run as train() would: config, task info, metrics at each evaluation, final state. */
async function addRun(db: Db, f: Fake, metric: string): Promise<number> {
  const resolved = composeConfig({ overrides: f.overrides });
  const cfg = resolved.config;
  const id = await createRun(db, {
    task: resolved.choices['task']!, model: resolved.choices['model']!, seed: cfg.seed, config: cfg, configHash: configHash(cfg),
    overrides: f.overrides, steps: 20, git: { commit: 'abc123def4567890', dirty: false }, versions: { node: '20' }, host: 'testhost', pid: 1,
  });
  await describeRun(db, id, { backend: 'wasm', engine: 'fused', taskInfo: { seq_len: 8, ...f.info }, params: 10 });
  const status = f.status ?? 'finished';
  for (const [i, v] of f.curve.entries()) {
    const twin = f.info?.['main_metric'] ? { [metric.replace(/^test_/, 'valid_')]: (f.valid ?? f.curve)[i]! } : {};
    await logMetrics(db, id, i * 10, { [metric]: v, ...twin, ...(i ? { ms_per_step: 2 + (id % 3), steps_per_sec: 1000 / (2 + (id % 3)) } : {}) });
  }
  if (status === 'diverged') {
    await logMetrics(db, id, 15, { train_loss: NaN });
    await finishRun(db, id, { status, step: 15, divergedStep: 15, error: 'loss became NaN at step 15' });
  } else await finishRun(db, id, { status, step: status === 'finished' ? 20 : 10, error: status === 'failed' ? 'boom' : null });
  return id;
}

/** As train() stores them for the adding task (a made-up baseline, so reading it is what's tested). */
const ADDING_INFO = { main_metric: { name: 'test_mse', goal: 'min', select: 'valid_mse' }, baseline: { metric: 'test_mse', value: 0.25, label: 'stored baseline' } };

const adding = (model: string, lr: string, seed: number, curve: number[], status?: Fake['status']): Fake => ({
  overrides: [`model=${model}`, `optimizer.lr=${lr}`, `seed=${seed}`, 'task.seq_len=8'],
  curve,
  status,
  info: ADDING_INFO,
});

/** irnn lr=0.001: finals .10 .12 .17; irnn lr=0.01: .05 .07 and one diverged; lstm lr=0.001: .2 .3;
 *  lstm lr=0.01: one failed run. Pixel MNIST (accuracy, higher is better; stored without its main
 *  metric, as older runs are): irnn lr=0.001 .9 .8, lr=0.01 .95 .3. */
async function makeStore(): Promise<{ path: string; ids: Record<string, number[]> }> {
  const path = join(mkdtempSync(join(tmpdir(), 'irnn-report-')), 'results.sqlite');
  const db = await Db.open(path);
  const ids: Record<string, number[]> = {};
  const add = async (key: string, f: Fake, metric = 'test_mse') => (ids[key] ??= []).push(await addRun(db, f, metric));
  for (const [s, v] of [0.1, 0.12, 0.17].entries()) await add('irnn-1e-3', adding('irnn', '0.001', s, [0.9, 0.3, v]));
  for (const [s, v] of [0.05, 0.07].entries()) await add('irnn-1e-2', adding('irnn', '0.01', s, [0.9, 0.2, v]));
  await add('irnn-1e-2-div', adding('irnn', '0.01', 2, [0.9, 0.4], 'diverged'));
  for (const [s, v] of [0.2, 0.3].entries()) await add('lstm-1e-3', adding('lstm', '0.001', s, [0.9, 0.5, v]));
  await add('lstm-1e-2-fail', adding('lstm', '0.01', 0, [0.9], 'failed'));
  const px = (lr: string, seed: number, v: number): Fake => ({ overrides: ['task=pixel_mnist', `optimizer.lr=${lr}`, `seed=${seed}`], curve: [0.1, 0.5, v] });
  for (const [s, v] of [0.9, 0.8].entries()) await add('px-1e-3', px('0.001', s, v), 'test_acc');
  for (const [s, v] of [0.95, 0.3].entries()) await add('px-1e-2', px('0.01', s, v), 'test_acc');
  await db.close();
  return { path, ids };
}

const store = makeStore();

test('summarize: mean, sample std and n against hand-computed values', (t) => {
  const a = summarize([1, 2, 3, 4])!;
  t.is(a.mean, 2.5);
  t.true(Math.abs(a.std! - Math.sqrt(5 / 3)) < 1e-12); // squared deviations 2.25+.25+.25+2.25 = 5, over n-1 = 3
  t.is(a.n, 4);
  const b = summarize([0.1, 0.12, 0.17, NaN])!; // NaN is not a result: dropped
  t.true(Math.abs(b.mean - 0.13) < 1e-12);
  t.true(Math.abs(b.std! - Math.sqrt((0.0009 + 0.0001 + 0.0016) / 2)) < 1e-12);
  t.is(b.n, 3);
  t.deepEqual(summarize([7]), { mean: 7, std: null, n: 1 });
  t.is(summarize([]), null);
});

test('statistics average finished runs only: an interrupted or running run is counted apart, never averaged', (t) => {
  const run = (id: number, status: RunStatus, value: number) =>
    ({ id, status, result: { step: 10, select: { name: 'valid_mse', value }, main: { name: 'test_mse', value: value + 1 }, goal: 'min' } }) as unknown as RunRecord;
  const meta = { metric: 'test_mse', select: 'valid_mse', selectIsTest: false, goal: 'min' as const, log: true, baseline: null };
  // the unfinished runs reached better values so far: averaging them in would move every number
  const s = settingStats('irnn', { label: 'default', values: {}, runs: [run(1, 'finished', 0.1), run(2, 'finished', 0.3), run(3, 'interrupted', 0.01), run(4, 'running', 0.02)] }, meta);
  t.is(s.finished, 2);
  t.is(s.incomplete, 2);
  t.is(s.select!.n, 2);
  t.true(Math.abs(s.select!.mean - 0.2) < 1e-12);
  t.true(Math.abs(s.summary!.mean - 1.2) < 1e-12);
});

test('settings merge seeds, diverged and failed runs are counted apart, best setting follows the goal', async (t) => {
  const { path } = await store;
  const db = await Db.open(path);
  const groups = groupRuns(await listRuns(db));
  await db.close();
  t.deepEqual(groups.map((g) => g.task), ['adding', 'pixel_mnist']);
  const [add, px] = groups as [(typeof groups)[0], (typeof groups)[0]];
  const meta = taskMeta(add.runs);
  t.is(meta.metric, 'test_mse');
  t.is(meta.select, 'valid_mse');
  t.is(meta.goal, 'min');
  t.deepEqual(meta.baseline, { value: 0.25, label: 'stored baseline' });
  t.true(meta.log);
  const stats = modelStats(add.models, meta);
  const find = (model: string, label: string) => stats.find((s) => s.model === model && s.setting.label === label)!;
  const irnnHigh = find('irnn', 'lr=0.01');
  t.is(irnnHigh.summary!.n, 2); // the diverged seed is not averaged in ...
  t.true(Math.abs(irnnHigh.summary!.mean - 0.06) < 1e-12);
  t.true(Math.abs(irnnHigh.summary!.std! - Math.SQRT2 * 0.01) < 1e-12);
  t.is(irnnHigh.diverged.length, 1); // ... but counted
  t.is(find('lstm', 'lr=0.01').failed, 1);
  t.is(find('lstm', 'lr=0.01').summary, null);
  const best = bestPerModel(stats, meta.goal);
  t.is(best.get('irnn')!.setting.label, 'lr=0.01'); // 0.06 < 0.13
  t.is(best.get('lstm')!.setting.label, 'lr=0.001');
  const pxMeta = taskMeta(px.runs); // no stored main metric: the test metric the runs logged
  t.deepEqual(pxMeta, { metric: 'test_acc', select: 'test_acc', selectIsTest: true, goal: 'max', log: false, baseline: null });
  t.is(bestPerModel(modelStats(px.models, pxMeta), pxMeta.goal).get('irnn')!.setting.label, 'lr=0.001'); // .85 > .625
});

test('task meta: the stored main metric and goal win over name rules; a baseline of another metric is dropped', (t) => {
  const run = (taskInfo: Record<string, unknown> | null, metrics: Record<string, number>) => ({ taskInfo, metrics }) as unknown as RunRecord;
  const legacy = run(null, { train_loss: 1, test_mse: 0.2 });
  // The first run that stored its meta decides, wherever it is in the list.
  const stored = run({ main_metric: { name: 'test_score', goal: 'max' }, baseline: { metric: 'test_score', value: 3, label: 'b' } }, { test_score: 5 });
  t.deepEqual(taskMeta([legacy, stored]), { metric: 'test_score', select: 'test_score', selectIsTest: true, goal: 'max', log: false, baseline: { value: 3, label: 'b' } });
  // A stored validation metric is what selects; without one, the valid_ twin when the run logged it.
  const other = run({ main_metric: { name: 'test_ppl', goal: 'min', select: 'valid_ppl' }, baseline: { metric: 'test_bpc', value: 2, label: 'b' } }, {});
  t.deepEqual(taskMeta([other]), { metric: 'test_ppl', select: 'valid_ppl', selectIsTest: false, goal: 'min', log: true, baseline: null });
  const twin = run({ main_metric: { name: 'test_fer', goal: 'min' }, baseline: null }, { valid_fer: 0.2, test_fer: 0.3 });
  t.is(taskMeta([twin]).select, 'valid_fer');
  t.deepEqual(taskMeta([run({ main_metric: { name: 'test_fer', goal: 'min' }, baseline: null }, {})]).baseline, null);
  t.deepEqual(taskMeta([legacy]), { metric: 'test_mse', select: 'test_mse', selectIsTest: true, goal: 'min', log: true, baseline: null });
});

test('selection is on validation: each run at its best validation evaluation, settings by validation mean, test shown', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'irnn-report-')), 'results.sqlite');
  const db = await Db.open(path);
  // Setting A (lr=0.001): the better validation MSE, the worse test MSE. Setting B (lr=0.01): the reverse.
  // Run a1's validation is best at step 10 (0.1), where its test MSE is 0.3; it ends at 0.05 on test.
  const a1 = await addRun(db, { ...adding('irnn', '0.001', 0, [0.9, 0.3, 0.05]), valid: [0.9, 0.1, 0.4] }, 'test_mse');
  const a2 = await addRun(db, { ...adding('irnn', '0.001', 1, [0.9, 0.5, 0.2]), valid: [0.9, 0.3, 0.12] }, 'test_mse');
  await addRun(db, { ...adding('irnn', '0.01', 0, [0.9, 0.3, 0.01]), valid: [0.9, 0.5, 0.2] }, 'test_mse');
  // Another problem of the same task (T = 9 instead of 8), with the best validation MSE of all: it
  // gets a section of its own and never competes with the T = 8 settings.
  const other = await addRun(db, { ...adding('irnn', '0.1', 0, [0.9, 0.001, 0.001]), overrides: ['model=irnn', 'optimizer.lr=0.1', 'seed=0', 'task.seq_len=9'] }, 'test_mse');
  const all = await listRuns(db);
  const groups = groupRuns(all);
  t.deepEqual(groups.map((g) => g.title), ['adding (seq_len=8)', 'adding (seq_len=9)']);
  t.deepEqual(groups[1]!.runs.map((r) => r.id), [other]);
  const runs = all.filter((r) => r.id !== other);
  const r1 = runs.find((r) => r.id === a1)!.result!;
  t.deepEqual(r1, { step: 10, select: { name: 'valid_mse', value: 0.1 }, main: { name: 'test_mse', value: 0.3 }, goal: 'min' });
  t.is(runs.find((r) => r.id === a2)!.result!.step, 20);
  const [g] = groupRuns(runs);
  const meta = taskMeta(g!.runs);
  const best = bestPerModel(modelStats(g!.models, meta), meta.goal).get('irnn')!;
  t.is(best.setting.label, 'lr=0.001'); // valid mean 0.11 beats 0.2, although B's test MSE is lower
  t.true(Math.abs(best.select!.mean - 0.11) < 1e-12);
  t.true(Math.abs(best.summary!.mean - 0.25) < 1e-12); // test at each run's selected evaluation: (0.3 + 0.2) / 2
  const html = renderHtml(await buildReport({ runs, histories: await loadHistories(db, runs), selection: {}, generatedAt: 'now' }));
  await db.close();
  t.regex(html, /Selected on the validation split, reported on the test split/);
  t.regex(html, /valid MSE \(ranks\)/);
  // CLI: runs list shows the selected evaluation and sorts by validation with --sort valid.
  const r = await irnn(['runs', 'list', '--db', path, '--sort', 'valid']);
  t.is(r.code, 0, r.stderr);
  const order = r.stdout.trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0]));
  t.deepEqual(order, [other, a1, a2, a2 + 1]);
  t.regex(r.stdout, /valid_mse=0\.1000 test_mse=0\.3000 @10/);
});

test('architectures are compared apart, each beside the paper number for that network; compute is CPU time', async (t) => {
  const db = await Db.open(':memory:');
  const info = { main_metric: { name: 'test_fer', goal: 'min', select: 'valid_fer' }, baseline: null };
  const speech = (model: string, layers: number, bi: boolean, fer: number): Fake => ({
    overrides: ['task=speech', `model=${model}`, `model.layers=${layers}`, `model.bidirectional=${bi}`],
    curve: [0.9, fer, fer],
    info,
  });
  const ids = [
    await addRun(db, speech('lstm', 2, false, 0.4), 'test_fer'),
    await addRun(db, speech('lstm', 5, true, 0.3), 'test_fer'),
    await addRun(db, speech('irnn', 2, true, 0.35), 'test_fer'),
  ];
  await logMetrics(db, ids[0]!, 20, { cpu_seconds: 1800 }); // half an hour of CPU
  const runs = await listRuns(db);
  const histories = await loadHistories(db, runs);
  const [g] = groupRuns(runs);
  // The LSTM's runs differ in depth and direction: two groups; the iRNN has one architecture.
  t.deepEqual(g!.models.map((m) => m.model), ['irnn', 'lstm · 2 layers, unidirectional', 'lstm · 5 layers, bidirectional']);
  t.is(paperValues(g!, g!.models[1]!, 'test_fer'), '35.4%'); // the paper's 2-layer LSTM
  t.is(paperValues(g!, g!.models[2]!, 'test_fer'), '29.1%'); // its 5-layer bidirectional LSTM
  t.is(paperValues(g!, g!.models[0]!, 'test_fer'), '–'); // the paper's bidirectional iRNN (29.7%) has 5 layers, not 2
  const doc = await buildReport({ runs, histories, selection: {}, generatedAt: 'now' });
  const rows = doc.glance!.rows.map((r) => r.map((c) => (typeof c === 'string' ? c : c.text)));
  t.is(rows.length, 3);
  t.regex(rows[1]!.join(' | '), /lstm · 2 layers, unidirectional \| frame error rate \|.*40\.0%.*35\.4% \| 1\/1 \| 0\.50 CPU-h/);
  // A run without logged CPU time counts its wall time, and says so.
  t.regex(rows[0]!.join(' | '), /wall-h/);
  await db.close();
});

test('a report marks diverged runs instead of hiding them', async (t) => {
  const { path, ids } = await store;
  const db = await Db.open(path);
  const runs = await selectRuns(db, { task: 'adding' });
  const doc = await buildReport({ runs, histories: await loadHistories(db, runs), selection: { task: 'adding' }, generatedAt: 'now' });
  await db.close();
  const html = renderHtml(doc);
  const div = ids['irnn-1e-2-div']![0]!;
  // The summary row of the setting: two finished seeds averaged, the diverged one flagged.
  t.regex(html, /<tr class="diverged">.*lr=0\.01.*0\.060 ± 0\.014 \(n=2\).*<td class="num diverged">✕ 1 \(step 15\)<\/td>/);
  t.regex(html, /0\.130 ± 0\.036 \(n=3\)/);
  // In the heat-map cell, in the learning curves' caption, and in provenance with its command.
  t.regex(html, /✕ 1\/3 diverged/);
  t.regex(html, /✕ marks a diverged run/);
  // The baseline the runs stored, in the lead line and the learning curves' caption.
  t.regex(html, /Baseline 0\.25 \(stored baseline\)/);
  t.regex(html, /Dashed: baseline \(stored baseline\) = 0\.25\./);
  t.regex(html, new RegExp(`<tr class="diverged"><td class="num">${div}</td>.*✕ diverged at step 15.*irnn run model=irnn optimizer\\.lr=0\\.01 seed=2 task\\.seq_len=8`));
});

test('--where filters by config keys, columns and metrics; bad expressions are user errors', async (t) => {
  const { path, ids } = await store;
  const db = await Db.open(path);
  const runs = await listRuns(db);
  await db.close();
  const pick = (expr: string) => filterRuns(runs, expr).map((r) => r.id);
  t.deepEqual(pick('optimizer.lr < 5e-3 and model.name == "lstm"'), ids['lstm-1e-3']);
  t.deepEqual(pick('status == "diverged"'), ids['irnn-1e-2-div']);
  t.deepEqual(pick('task.name == "adding" and test_mse < 0.11 and status != "diverged"'), [...ids['irnn-1e-3']!.slice(0, 1), ...ids['irnn-1e-2']!]);
  t.deepEqual(pick('test_acc >= 0.9'), [ids['px-1e-3']![0], ids['px-1e-2']![0]]);
  for (const bad of ['optimizer.lr <', 'optimizer.lrr < 1', 'optimizer.lr']) t.throws(() => pick(bad), { name: 'UserError' }, bad);

  const r = await irnn(['report', '--db', path, '--task', 'adding', '--where', 'model.hidden >= 100 and optimizer.lr < 1e-2', '--json', '--out', join(tmpdir(), `w-${process.pid}.html`)]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual((JSON.parse(r.stdout) as { runs: number[] }).runs, [...ids['irnn-1e-3']!, ...ids['lstm-1e-3']!]);
});

test('an empty selection, a bad --where and a store without sweeps each exit 2 with one line', async (t) => {
  const { path } = await store;
  const noSweeps = join(mkdtempSync(join(tmpdir(), 'irnn-report-')), 'results.sqlite');
  const db = await Db.open(noSweeps);
  await db.exec('DROP TABLE IF EXISTS sweep_jobs');
  await db.close();
  const cases = [
    [['--db', path, '--task', 'nope'], /no runs to report: task nope matches nothing/],
    [['--db', path, '--where', 'seed >'], /--where/],
    [['--db', noSweeps, '--sweep', '1'], /no sweeps/],
  ] as const;
  const results = await Promise.all(cases.map(([args]) => irnn(['report', ...args])));
  for (const [i, r] of results.entries()) {
    const [args, pattern] = cases[i]!;
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, pattern);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('--sweep selects the runs its jobs link to', async (t) => {
  const { path, ids } = await store;
  const copy = join(mkdtempSync(join(tmpdir(), 'irnn-report-')), 'results.sqlite');
  const db = await Db.open(path);
  await db.exec(`VACUUM INTO '${copy}'`);
  await db.close();
  const c = await Db.open(copy);
  // Only the two columns a report reads, whatever else the sweep tables hold.
  await c.exec('DROP TABLE IF EXISTS sweep_jobs; CREATE TABLE sweep_jobs (sweep_id INTEGER, run_id INTEGER)');
  for (const id of ids['lstm-1e-3']!) await c.run('INSERT INTO sweep_jobs VALUES (7, ?)', [id]);
  await c.run('INSERT INTO sweep_jobs VALUES (8, ?)', [ids['irnn-1e-3']![0]!]);
  await c.run('INSERT INTO sweep_jobs VALUES (7, NULL)'); // a queued job without a run yet
  t.deepEqual((await selectRuns(c, { sweep: 7 })).map((r) => r.id), ids['lstm-1e-3']);
  t.deepEqual(await selectRuns(c, { sweep: 9 }), []);
  await c.close();
});

test('the same store gives the same report, byte for byte, apart from the footer', async (t) => {
  const { path } = await store;
  const dir = mkdtempSync(join(tmpdir(), 'irnn-report-'));
  const db = await Db.open(path);
  const a = await makeReport({ db, dbPath: path, selection: {}, out: join(dir, 'a.html'), now: new Date('2020-01-01T00:00:00Z') });
  const b = await makeReport({ db, dbPath: path, selection: {}, out: join(dir, 'b.html'), now: new Date('2021-06-01T12:00:00Z') });
  const md = await makeReport({ db, dbPath: path, selection: {}, out: join(dir, 'r.md') });
  await db.close();
  const [ha, hb] = [readFileSync(a.out, 'utf8'), readFileSync(b.out, 'utf8')];
  t.not(ha, hb);
  const body = (s: string) => s.replace(/<footer>.*<\/footer>/, '');
  t.is(body(ha), body(hb));
  t.regex(ha, /<footer>Generated by irnn report at 2020-01-01T00:00:00\.000Z\.<\/footer>/);
  // Self-contained: no scripts and nothing fetched from anywhere.
  t.notRegex(ha, /<script|<link|src="http|href="http/);
  // Markdown: SVG files beside it, linked by name.
  t.is(md.format, 'md');
  const svgs = readdirSync(dir).filter((f) => f.endsWith('.svg')).sort();
  t.true(svgs.includes('r-adding-curves.svg') && svgs.includes('r-adding-sweep.svg'), svgs.join(' '));
  const text = readFileSync(md.out, 'utf8');
  for (const f of svgs) t.true(text.includes(`](${f})`), f);
});

const record = (id: number, over: Partial<RunRecord> = {}): RunRecord => ({
  id, status: 'finished', task: 'adding', model: 'irnn', seed: 0, config: { model: { hidden: 100, layers: 1, bidirectional: false }, train: { batch_size: 16 } },
  configHash: 'h', overrides: [], taskInfo: { seq_len: 150 }, details: null, params: 1, step: 30, steps: 30, divergedStep: null,
  git: { commit: null, dirty: null }, versions: {}, backend: 'wasm', engine: 'fused', kernel: 'native', simdWidth: 16, host: 'h', pid: null,
  uid: null, stopReason: null, startedAt: '', endedAt: null, heartbeatAt: null, error: null, checkpoint: null, prune: null, resumes: [],
  metrics: {}, result: { step: 30, select: { name: 'valid_mse', value: 0.01 }, main: { name: 'test_mse', value: 0.01 }, goal: 'min' }, ...over,
});

test('a run recorded finished whose loss exploded is counted diverged at that step; others are left as they are', async (t) => {
  const { judgeExplosions } = await import('../src/report/stats.js');
  const h = (vals: number[]) => vals.map((v, i) => ({ step: i * 1000, name: 'train_loss', value: v }));
  const histories = new Map([
    [1, h([0.25, 0.17, 2.1e7, 0.02])], // exploded and recovered
    [2, h([0.25, 0.17, 2e5, 0.02])], // large, but below 1e6 times the first
    [3, h([0.25, 3e7])], // already diverged
  ]);
  const [a, b, c] = judgeExplosions([record(1), record(2), record(3, { status: 'diverged', divergedStep: 1000, error: 'x' })], histories);
  t.like(a, { status: 'diverged', divergedStep: 2000 });
  t.regex(a!.error!, /^train_loss 2\.10e\+7 at step 2000 is more than 1e\+6 times its first value 0\.250 \(recorded finished/);
  t.is(b!.status, 'finished');
  t.like(c, { status: 'diverged', divergedStep: 1000, error: 'x' });
});

test('runs far slower than the fastest of their shape are marked contended; other shapes are compared apart', async (t) => {
  const { contendedRuns } = await import('../src/report/stats.js');
  const ms = (vals: number[]) => vals.map((v, i) => ({ step: (i + 1) * 1000, name: 'ms_per_step', value: v }));
  const long = { taskInfo: { seq_len: 784 } };
  const runs = [record(1), record(2), record(3), record(4, long), record(5, { model: 'lstm' })];
  const histories = new Map([[1, ms([2.4, 2.5, 2.6])], [2, ms([16, 18, 20])], [3, ms([4.5, 4.9])], [4, ms([8.4, 9])], [5, ms([6.5])]]);
  const found = contendedRuns(runs, histories);
  t.deepEqual(found.map((c) => c.runId), [2], 'run 3 (under twice the fastest) and the other shapes are trusted');
  t.is(found[0]!.fastest, 2.5);
  t.is(found[0]!.msPerStep, 18);
  t.regex(found[0]!.shape, /^irnn · T=150 · 1x100 · uni · batch 16 · wasm · /);
});

test('IRNN and LSTM over seeds: a difference beyond the sum of their spreads is called, a smaller one is not', async (t) => {
  const { seedComparisons } = await import('../src/report/stats.js');
  const s = (mean: number, std: number | null, n: number) => ({ summary: { mean, std, n } }) as never;
  const best = new Map([
    ['irnn · 2 layers, bidirectional', s(0.288, 0.004, 3)],
    ['lstm · 2 layers, bidirectional', s(0.309, 0.005, 3)],
    ['irnn · 2 layers, unidirectional', s(0.362, 0.01, 3)],
    ['lstm · 2 layers, unidirectional', s(0.370, 0.01, 3)],
    ['irnn · 5 layers, unidirectional', s(0.359, null, 1)],
    ['lstm · 5 layers, unidirectional', s(0.415, null, 1)],
  ]);
  const got = seedComparisons(best);
  t.deepEqual(got.map((c) => [c.a, c.b, c.beyondSpread]), [
    ['irnn · 2 layers, bidirectional', 'lstm · 2 layers, bidirectional', true],
    ['irnn · 2 layers, unidirectional', 'lstm · 2 layers, unidirectional', false],
  ], 'one seed each: no comparison; architectures are not crossed');
});

test('optimizers side by side: each model\'s best setting under each optimizer, and when it left the baseline', async (t) => {
  const db = await Db.open(':memory:');
  const { optimizerRows } = await import('../src/report/stats.js');
  const run = (opt: string, lr: string, curve: number[]): Fake => ({ overrides: [`optimizer=${opt}`, `optimizer.lr=${lr}`, 'task.seq_len=8'], curve, info: ADDING_INFO });
  await addRun(db, run('adam', '1e-3', [0.3, 0.1, 0.01]), 'test_mse');
  await addRun(db, run('adam', '1e-4', [0.3, 0.2, 0.05]), 'test_mse');
  await addRun(db, run('sgd', '1e-3', [0.3, 0.2, 0.02]), 'test_mse');
  await addRun(db, run('sgd', '1e-2', [0.3, 0.3, 0.3]), 'test_mse');
  const runs = await listRuns(db);
  const histories = await loadHistories(db, runs);
  const [g] = groupRuns(runs);
  const rows = optimizerRows(g!.models, taskMeta(g!.runs), histories);
  t.deepEqual(rows.map((r) => [r.optimizer, r.best?.setting.label, r.resultStep, r.leftBaseline, r.runId]), [
    ['adam', 'lr=0.001 name=adam', 20, 10, 1],
    ['sgd', 'lr=0.001 name=sgd', 20, 20, 3],
  ]);
  const doc = await buildReport({ runs, histories, selection: {}, generatedAt: 'now' });
  t.regex(renderHtml(doc), /Optimizers side by side/);
  // One optimizer: no such section.
  t.deepEqual(optimizerRows(g!.models.map((m) => ({ ...m, settings: m.settings.filter((s) => s.runs.every((r) => r.config['optimizer'] && (r.config['optimizer'] as { name: string }).name === 'adam')) })), taskMeta(g!.runs), histories), []);
  await db.close();
});
