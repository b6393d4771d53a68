// The sweep grammar: lists, range (ints and floats), logspace, glob over config groups, zip, quoting,
// presets that carry their own sweep (command line wins), and the errors (one line, exit code 2).
import test, { type ExecutionContext } from 'ava';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeConfig, configHash } from '../src/config/index.js';
import { EXPERIMENTS_DIR, groupOptions } from '../src/config/compose.js';
import { expandSweep, isSweepOverride } from '../src/config/sweep.js';
import { planNew } from '../src/launch/plan.js';
import { isUserError } from '../src/util/errors.js';
import { irnn, tmpDb } from './sweep-helpers.js';

const expand = (...overrides: string[]) => expandSweep({ overrides });
/** The value each job gives `key`, as composeConfig reads it. */
const valuesOf = (jobs: string[][], key: string) =>
  jobs.map((j) => {
    const c = composeConfig({ overrides: j }).config as unknown as Record<string, Record<string, unknown>>;
    const [a, b] = key.split('.') as [string, string];
    return b === undefined ? c[a] : c[a]![b];
  });

function userError(t: ExecutionContext, fn: () => unknown, pattern: RegExp): void {
  const e = t.throws(fn);
  t.true(isUserError(e), `expected a UserError, got ${String(e)}`);
  t.regex(e!.message, pattern);
  t.false(e!.message.includes('\n'), 'one line');
}

test('a list is a product axis; the first axis varies slowest', (t) => {
  const jobs = expand('model=irnn,lstm', 'seed=0,1,2', 'task.seq_len=20');
  t.deepEqual(jobs, [
    ['model=irnn', 'seed=0', 'task.seq_len=20'],
    ['model=irnn', 'seed=1', 'task.seq_len=20'],
    ['model=irnn', 'seed=2', 'task.seq_len=20'],
    ['model=lstm', 'seed=0', 'task.seq_len=20'],
    ['model=lstm', 'seed=1', 'task.seq_len=20'],
    ['model=lstm', 'seed=2', 'task.seq_len=20'],
  ]);
  t.deepEqual(valuesOf(jobs, 'model.cell'), ['rnn_relu', 'rnn_relu', 'rnn_relu', 'lstm', 'lstm', 'lstm']);
  t.deepEqual(valuesOf(expand('optimizer.lr=1e-2,1e-3'), 'optimizer.lr'), [0.01, 0.001]);
});

test('range: ints like Python, floats without accumulated error, negative steps', (t) => {
  t.deepEqual(valuesOf(expand('seed=range(0,5)'), 'seed'), [0, 1, 2, 3, 4]);
  t.deepEqual(valuesOf(expand('seed=range(3)'), 'seed'), [0, 1, 2]);
  t.deepEqual(valuesOf(expand('seed=range(1,10,4)'), 'seed'), [1, 5, 9]);
  // 0.1 + 0.1 + 0.1 is 0.30000000000000004 in floating point; the grid must say 0.3
  t.deepEqual(valuesOf(expand('optimizer.lr=range(0,1,0.1)'), 'optimizer.lr'), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  t.deepEqual(valuesOf(expand('optimizer.lr=range(0.5,0,-0.25)'), 'optimizer.lr'), [0.5, 0.25]);
  t.deepEqual(valuesOf(expand('optimizer.lr=range(1e-3,4e-3,1e-3)'), 'optimizer.lr'), [0.001, 0.002, 0.003]);
});

test('logspace: endpoints included, evenly spaced in log', (t) => {
  t.deepEqual(valuesOf(expand('optimizer.lr=logspace(1e-9,1e-1,9)'), 'optimizer.lr'), [1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
  const v = valuesOf(expand('optimizer.lr=logspace(1,8,4)'), 'optimizer.lr') as number[];
  t.deepEqual(v, [1, 2, 4, 8]);
  t.deepEqual(valuesOf(expand('optimizer.lr=logspace(0.5,0.5,1)'), 'optimizer.lr'), [0.5]);
});

test('glob picks options of a config group', (t) => {
  t.deepEqual(expand('model=glob(rnn_*)'), [['model=rnn_relu'], ['model=rnn_tanh']]);
  t.deepEqual(expand('model=glob(*,exclude=gru)').flat(), ['model=irnn', 'model=lstm', 'model=rnn_relu', 'model=rnn_tanh']);
  t.deepEqual(expand('model=glob(*)').flat(), groupOptions('model').map((o) => `model=${o}`));
  const presets = [...new Set(expand('+experiment=glob(paper/*mnist)').map((j) => j[0]))];
  t.deepEqual(presets, ['+experiment=paper/permuted_mnist', '+experiment=paper/pixel_mnist']);
});

test('zip pairs values, and the product takes zip rows as one axis', (t) => {
  const jobs = expand('zip(model=[irnn,lstm], optimizer.lr=[1e-3,1e-2])', 'seed=0,1');
  t.deepEqual(jobs, [
    ['model=irnn', 'optimizer.lr=1e-3', 'seed=0'],
    ['model=irnn', 'optimizer.lr=1e-3', 'seed=1'],
    ['model=lstm', 'optimizer.lr=1e-2', 'seed=0'],
    ['model=lstm', 'optimizer.lr=1e-2', 'seed=1'],
  ]);
  t.deepEqual(expand('zip(seed=range(0,2), model.hidden=[8,16])'), [['seed=0', 'model.hidden=8'], ['seed=1', 'model.hidden=16']]);
});

test('quoted values and list literals with commas are one value', (t) => {
  t.deepEqual(expand("+train.note='a,b'"), [["+train.note='a,b'"]]);
  t.deepEqual(expand('+train.note="a,b",c').length, 2);
  t.is(composeConfig({ overrides: expand("+train.note='a,b'")[0]! }).config.train['note'], 'a,b');
  t.deepEqual(composeConfig({ overrides: expand('+train.pair=[1,2]')[0]! }).config.train['pair'], [1, 2]);
  t.deepEqual(expand('zip(+train.pair=[[1,2],[3,4]], seed=[0,1])'), [['+train.pair=[1,2]', 'seed=0'], ['+train.pair=[3,4]', 'seed=1']]);
  t.false(isSweepOverride("+train.note='a,b'"));
  t.false(isSweepOverride('model.hidden=8'));
  t.true(isSweepOverride('model=irnn,lstm'));
  t.true(isSweepOverride('seed=range(0,2)'));
});

test('every sweep error is a one-line user error', (t) => {
  userError(t, () => expand('optimizer.lr=linspace(0,1,3)'), /unknown sweep function 'linspace'/);
  userError(t, () => expand('zip(model=[irnn,lstm], model.hidden=[8])'), /lists differ in length: model has 2, model\.hidden has 1/);
  userError(t, () => expand('seed=range(5,0)'), /range is empty/);
  userError(t, () => expand('seed=range(0,5,0)'), /step must not be 0/);
  userError(t, () => expand('seed=range(0,x)'), /'x' is not a number/);
  userError(t, () => expand('optimizer.lr=logspace(0,1,3)'), /must be > 0/);
  userError(t, () => expand('model.hidden=glob(*)'), /'model\.hidden' is not one \(groups: .*model/);
  userError(t, () => expand('nothing=glob(*)'), /'nothing' is not one/);
  userError(t, () => expand('model=glob(zz*)'), /matches no option of model/);
  userError(t, () => expand('model=irnn,,lstm'), /empty value/);
  userError(t, () => expand("+train.note='a,b"), /unclosed quote/);
  userError(t, () => expand('model.hidden=[8,16'), /missing '\]'/);
  userError(t, () => expand('model=irnn,lstm', 'model=gru'), /model: set more than once/);
  userError(t, () => expand('seed=zip(a=[1])'), /zip\(\) is a whole override/);
});

/** A copy of experiments/ with extra presets, so preset sweeps can be tested in both forms. */
function presetRoot(): string {
  const root = join(mkdtempSync(join(tmpdir(), 'irnn-sweep-')), 'experiments');
  cpSync(EXPERIMENTS_DIR, root, { recursive: true });
  writeFileSync(join(root, 'experiment', 'grid.yaml'), 'train: {steps: 5}\nsweep:\n  model: irnn,lstm\n  optimizer: {lr: [0.1, 0.01]}\n  seed: 7\n');
  writeFileSync(join(root, 'experiment', 'paired.yaml'), "sweep: ['zip(model=[lstm,irnn], model.layers=[1,4])', 'seed=range(0,2)']\n");
  return root;
}

test('a preset carries its own sweep; command-line values for the same key win', (t) => {
  const root = presetRoot();
  const run = (...o: string[]) => expandSweep({ overrides: o, root });
  const grid = run('+experiment=grid');
  t.is(grid.length, 4);
  t.deepEqual(grid[1], ['+experiment=grid', 'model=irnn', 'optimizer.lr=0.01', 'seed=7']);
  t.deepEqual(run('+experiment=grid', 'model=gru', 'seed=1,2').map((j) => j.join(' ')), [
    '+experiment=grid model=gru seed=1 optimizer.lr=0.1',
    '+experiment=grid model=gru seed=1 optimizer.lr=0.01',
    '+experiment=grid model=gru seed=2 optimizer.lr=0.1',
    '+experiment=grid model=gru seed=2 optimizer.lr=0.01',
  ]);
  const paired = run('+experiment=paired');
  t.deepEqual(paired.map((j) => j.slice(1).join(' ')), [
    'model=lstm model.layers=1 seed=0',
    'model=lstm model.layers=1 seed=1',
    'model=irnn model.layers=4 seed=0',
    'model=irnn model.layers=4 seed=1',
  ]);
  // a command-line key drops its column from the preset's zip; the other column stays
  t.deepEqual(run('+experiment=paired', 'model=gru', 'seed=3').map((j) => j.join(' ')), [
    '+experiment=paired model=gru seed=3 model.layers=1',
    '+experiment=paired model=gru seed=3 model.layers=4',
  ]);
  const c = composeConfig({ overrides: paired[2]!, root }).config;
  t.is(c.model.cell, 'rnn_relu');
  t.is(c.model.layers, 4);
});

test("a preset's one_of concatenates grids in place; command-line values pick the grids that fit", (t) => {
  const root = presetRoot();
  writeFileSync(
    join(root, 'experiment', 'alts.yaml'),
    "sweep:\n  seed: 0,1\n  one_of:\n    - {model: 'irnn,gru'}\n    - {model: lstm, model.forget_bias: '1,4'}\n    - ['model=rnn_tanh', 'model.hidden=8,16']\n",
  );
  const run = (...o: string[]) => expandSweep({ overrides: o, root }).map((j) => j.slice(1).join(' '));
  const rows = ['model=irnn', 'model=gru', 'model=lstm model.forget_bias=1', 'model=lstm model.forget_bias=4', 'model=rnn_tanh model.hidden=8', 'model=rnn_tanh model.hidden=16'];
  t.deepEqual(run('+experiment=alts'), [...rows.map((r) => `seed=0 ${r}`), ...rows.map((r) => `seed=1 ${r}`)]);
  t.deepEqual(run('+experiment=alts', 'model=lstm', 'seed=3'), ['model=lstm seed=3 model.forget_bias=1', 'model=lstm seed=3 model.forget_bias=4']);
  t.deepEqual(run('+experiment=alts', 'model.forget_bias=4', 'seed=3'), ['model.forget_bias=4 seed=3 model=lstm']);
  t.deepEqual(run('+experiment=alts', 'model=irnn,gru', 'seed=3'), ['model=irnn seed=3', 'model=gru seed=3']);
  // a value no row sets keeps the rows that leave its key alone
  t.deepEqual(run('+experiment=alts', 'model.hidden=32', 'seed=3'), ['model.hidden=32 seed=3 model=irnn', 'model.hidden=32 seed=3 model=gru', 'model.hidden=32 seed=3 model=lstm model.forget_bias=1', 'model.hidden=32 seed=3 model=lstm model.forget_bias=4']);
  userError(t, () => expandSweep({ overrides: ['+experiment=alts', 'model=rnn_relu'], root }), /matches none of the preset's one_of grids/);
  // numbers compare as numbers: YAML reads a row's 1e-3 as 0.001, the command line says 1e-3
  writeFileSync(join(root, 'experiment', 'nums.yaml'), "sweep:\n  one_of:\n    - {model: gru, optimizer.lr: 1e-3}\n    - {model: lstm, optimizer.lr: '3e-4,1e-3'}\n");
  t.deepEqual(run('+experiment=nums', 'model=gru', 'optimizer.lr=1e-3'), ['model=gru optimizer.lr=1e-3']);
  t.deepEqual(run('+experiment=nums', 'optimizer.lr=0.001'), ['optimizer.lr=0.001 model=gru', 'optimizer.lr=0.001 model=lstm']);
  writeFileSync(join(root, 'experiment', 'bad.yaml'), 'sweep:\n  one_of: irnn\n');
  userError(t, () => expandSweep({ overrides: ['+experiment=bad'], root }), /one_of must be a list of grids/);
  for (const job of expandSweep({ overrides: ['+experiment=alts'], root })) t.notThrows(() => composeConfig({ overrides: job, root }), job.join(' '));
});

test('every paper preset expands, and its jobs compose into distinct configs', (t) => {
  const presets = groupOptions('experiment').filter((o) => o.startsWith('paper/'));
  t.true(presets.includes('paper/adding'));
  for (const p of presets) {
    const jobs = expand(`+experiment=${p}`);
    t.true(jobs.length > 1, `${p} carries a sweep`);
    const ends = [jobs[0]!, jobs[jobs.length - 1]!];
    const hashes = ends.map((j) => configHash(composeConfig({ overrides: j }).config));
    t.not(hashes[0], hashes[1], p);
  }
  // 4 lengths x (3 RNNs + the LSTM with 4 forget-gate biases) x 9 rates x 4 clipping values
  const adding = expand('+experiment=paper/adding');
  t.is(adding.length, 4 * (3 + 4) * 9 * 4);
  const last = composeConfig({ overrides: adding[adding.length - 1]! }).config;
  t.like(last, { task: { name: 'adding', seq_len: 400 }, model: { cell: 'lstm', hidden: 100, forget_bias: 20 }, optimizer: { name: 'sgd', lr: 0.1, clip: 1000 } });
  t.is(last.train.batch_size, 16);
  t.is(adding.filter((j) => j.some((o) => o.startsWith('model.forget_bias='))).length, 4 * 4 * 9 * 4);
  t.true(adding.every((j) => j.includes('model=lstm') === j.some((o) => o.startsWith('model.forget_bias='))));
  t.is(expand('+experiment=paper/adding', 'task.seq_len=20', 'optimizer.clip=10').length, 7 * 9);
});

test('every job is composed before any runs: the first bad job is named', async (t) => {
  const e = await t.throwsAsync(planNew(null, { overrides: ['optimizer.lr=1e-3,abc,xyz'] }));
  t.true(isUserError(e));
  t.is(e!.message, "job 2 [optimizer.lr=abc]: optimizer.lr: expected a number, got 'abc' (2 of 3 jobs are invalid)");
});

test('through the CLI: a sweep error exits 2 with one line; irnn run refuses a sweep', async (t) => {
  const db = tmpDb();
  const [bad, run, dry] = await Promise.all([
    irnn(['sweep', 'zip(model=[irnn,lstm],model.hidden=[8])', '--db', db]),
    irnn(['run', 'model=irnn,lstm', '--db', db]),
    irnn(['run', '--multirun', 'model=irnn,lstm', 'seed=range(0,2)', '--dry-run', '--db', db]),
  ]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /lists differ in length/);
  t.is(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  t.is(run.code, 2);
  t.regex(run.stderr, /'model=irnn,lstm' is a sweep: run it with irnn sweep/);
  t.is(run.stderr.trim().split('\n').length, 1, run.stderr);
  t.is(dry.code, 0, dry.stderr);
  t.regex(dry.stdout, /^4 jobs/);
  t.regex(dry.stdout, /job 4: model=lstm seed=1\n/);
});
