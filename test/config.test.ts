import test from 'ava';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXPERIMENTS_DIR } from '../src/config/compose.js';
import { composeConfig, configHash } from '../src/config/index.js';
import { parseOverride, parseValue } from '../src/config/overrides.js';
import { interpolate } from '../src/config/interpolate.js';
import { getPath, merge, setPath, type Tree } from '../src/config/tree.js';
import { isUserError } from '../src/util/errors.js';

const userError = (t: import('ava').ExecutionContext, fn: () => unknown, pattern: RegExp) => {
  const e = t.throws(fn);
  t.true(isUserError(e), `expected a UserError, got ${String(e)}`);
  t.regex(e!.message, pattern);
  t.false(e!.message.includes('\n'), 'one line');
};

test('defaults compose the adding problem with IRNN and Adam', (t) => {
  const r = composeConfig({ overrides: [] });
  t.deepEqual(r.choices, { task: 'adding', model: 'irnn', optimizer: 'adam', launcher: 'local' });
  t.is(r.config.task.name, 'adding');
  t.is(r.config.model.cell, 'rnn_relu');
  t.is(r.config.model.init, 'identity');
  t.is(r.config.model.identity_scale, 1);
  t.is(r.config.train.batch_size, 16);
  t.is(r.config.optimizer.name, 'adam');
});

test('group choice replaces the whole group section', (t) => {
  const r = composeConfig({ overrides: ['model=lstm', 'optimizer=sgd'] });
  t.is(r.config.model.cell, 'lstm');
  t.is(r.config.model.forget_bias, 1);
  t.false('identity_scale' in r.config.model);
  t.is(r.config.optimizer.momentum, 0);
  t.false('beta1' in r.config.optimizer);
});

test('values are typed', (t) => {
  t.is(parseValue('128', 'k'), 128);
  t.is(parseValue('1e-3', 'k'), 1e-3);
  t.is(parseValue('true', 'k'), true);
  t.is(parseValue('null', 'k'), null);
  t.deepEqual(parseValue('[1, 2]', 'k'), [1, 2]);
  t.is(parseValue('abc', 'k'), 'abc');
  t.is(parseValue("'a,b'", 'k'), 'a,b');
  const r = composeConfig({ overrides: ['model.hidden=128', 'optimizer.lr=1e-3', 'model.bidirectional=true'] });
  t.is(r.config.model.hidden, 128);
  t.is(r.config.optimizer.lr, 0.001);
  t.true(r.config.model.bidirectional);
});

test('+key adds, ~key deletes, and each refuses the wrong case', (t) => {
  const r = composeConfig({ overrides: ['+train.note=first try', '~optimizer.beta1'] });
  t.is(r.config.train['note'], 'first try');
  t.false('beta1' in r.config.optimizer);
  userError(t, () => composeConfig({ overrides: ['+model.hidden=3'] }), /model\.hidden: the key already exists/);
  userError(t, () => composeConfig({ overrides: ['~model.nope'] }), /model\.nope: no such key/);
  t.deepEqual(parseOverride('~a.b'), { op: 'delete', key: 'a.b', text: '~a.b' });
  t.false('beta2' in composeConfig({ overrides: ['~optimizer.beta2=0.999'] }).config.optimizer);
  userError(t, () => composeConfig({ overrides: ['~optimizer.beta2=0.9'] }), /~optimizer\.beta2=0\.9: the key holds 0\.999, not that value/);
});

test('an unknown key names the nearest valid key', (t) => {
  userError(t, () => composeConfig({ overrides: ['model.hiden=3'] }), /model\.hiden: no such key; did you mean 'model\.hidden'\?/);
});

test('an unknown group option lists the valid ones', (t) => {
  userError(t, () => composeConfig({ overrides: ['model=nope'] }), /model=nope: no such option; valid: gru, irnn, lstm, rnn_relu, rnn_tanh/);
});

test('a value of the wrong type names the key and the expected type', (t) => {
  userError(t, () => composeConfig({ overrides: ['optimizer.lr=abc'] }), /optimizer\.lr: expected a number, got 'abc'/);
  userError(t, () => composeConfig({ overrides: ['model.bidirectional=3'] }), /model\.bidirectional: expected a boolean/);
  userError(t, () => composeConfig({ overrides: ['model.hidden=2.5'] }), /model\.hidden: expected a whole number > 0/);
  userError(t, () => composeConfig({ overrides: ['model.cell=foo'] }), /model\.cell: expected one of rnn_relu, rnn_tanh, lstm, gru/);
  userError(t, () => composeConfig({ overrides: ['model'] }), /missing '='/);
});

test('interpolation keeps types and evaluates arithmetic with mathjs', (t) => {
  const out = interpolate({
    a: { b: 16, c: '${a.b}', d: 'bs=${a.b}', e: '${eval:2 * ${a.b} + 1}', f: '${eval:sqrt(${a.b})}' },
  });
  t.deepEqual(out, { a: { b: 16, c: 16, d: 'bs=16', e: 33, f: 4 } });
  const r = composeConfig({ overrides: ['train.eval_every=${eval:${train.steps} / 4}', 'train.steps=40'] });
  t.is(r.config.train.eval_every, 10);
  t.throws(() => interpolate({ a: '${b}', b: '${a}' }), { message: /cycle/ });
  t.throws(() => interpolate({ a: '${nope.x}' }), { message: /does not exist/ });
  t.throws(() => interpolate({ a: '${eval:process.exit(1)}' }), { message: /cannot evaluate/ });
});

test('the config hash depends on what a run computes, not on cosmetic keys', (t) => {
  const a = configHash(composeConfig({ overrides: [] }).config);
  t.is(a, configHash(composeConfig({ overrides: ['train.log_every=7'] }).config));
  t.not(a, configHash(composeConfig({ overrides: ['seed=1'] }).config));
  t.not(a, configHash(composeConfig({ overrides: ['model.hidden=99'] }).config));
});

test('__proto__, prototype and constructor are refused as key segments and pollute nothing', (t) => {
  for (const o of ['+__proto__.momentum=0.9', '+train.__proto__.x=1', '+constructor.prototype.x=1', 'optimizer.constructor=1', '~model.__proto__', '+model.prototype=3']) {
    userError(t, () => composeConfig({ overrides: [o] }), /'(__proto__|prototype|constructor)' cannot be a key/);
  }
  const plain = {} as Record<string, unknown>;
  t.is(plain['momentum'], undefined);
  t.is(plain['x'], undefined);
  // The polluted hash would equal the default run's, and a sweep would skip the job as done.
  t.is(configHash(composeConfig({ overrides: [] }).config), configHash(composeConfig({ overrides: ['seed=0'] }).config));
});

test('the tree helpers read and write own properties only', (t) => {
  const tree: Tree = { a: { b: 1 } };
  t.false(getPath(tree, 'toString').exists);
  t.false(getPath(tree, 'a.constructor').exists);
  t.false(getPath(tree, 'a.hasOwnProperty').exists);
  t.throws(() => setPath(tree, '__proto__.polluted', 1), { message: /'__proto__' cannot be a key/ });
  t.throws(() => setPath(tree, 'a.constructor.prototype.polluted', 1), { message: /'constructor' cannot be a key/ });
  t.is(({} as Record<string, unknown>)['polluted'], undefined);
  // JSON.parse and YAML make an own "__proto__" key; merging it must not set a prototype.
  const evil = JSON.parse('{"a": {"__proto__": {"polluted": 1}}}') as Tree;
  t.throws(() => merge(tree, evil), { message: /'__proto__' cannot be a key/ });
  t.throws(() => interpolate({ a: '${constructor}' }), { message: /does not exist/ });
  t.throws(() => interpolate({ a: '${a.toString}' }), { message: /does not exist/ });
});

test('a config file with a __proto__ key is refused', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'irnn-config-'));
  cpSync(EXPERIMENTS_DIR, root, { recursive: true });
  writeFileSync(join(root, 'model', 'evil.yaml'), 'name: evil\n__proto__:\n  momentum: 0.9\n');
  userError(t, () => composeConfig({ overrides: ['model=evil'], root }), /'__proto__' cannot be a key/);
  t.is(({} as Record<string, unknown>)['momentum'], undefined);
});

test('${eval:...} reaches only the documented functions and cannot allocate without bound', (t) => {
  const list = Array.from({ length: 300 }, (_, i) => i).join(',');
  for (const [expr, pattern] of [
    ['ones(2,2)', /unknown function 'ones'/],
    ['zeros(3)', /unknown function 'zeros'/],
    ['evaluate("1+1")', /unknown function 'evaluate'/],
    ['parse("1")', /unknown function 'parse'/],
    ['createUnit("furlong")', /unknown function 'createUnit'/],
    ['simplify("x+x")', /unknown function 'simplify'/],
    ['1:5', /a range/],
    ['f(x) = f(x) + f(x)', /defining a function/],
    ['a = 1', /assignment/],
    ['3!', /operator '!'/],
    ['[1,2]', /must give a number, true\/false or text/],
    [`[${list}]`, /at most 256 values/],
    ['1/0', /not a finite number/],
    ['x + 1', /unknown name 'x'/],
  ] as const) {
    userError(t, () => interpolate({ a: `\${eval:${expr}}` }), pattern);
  }
  userError(t, () => interpolate({ a: `\${eval:${'1+'.repeat(1500)}1}` }), /at most 2000/);
  t.deepEqual(interpolate({ a: '${eval:max(2, 3) * 4}', b: '${eval:round(log10(1e-3))}', c: '${eval:"lstm" == "lstm"}' }), { a: 12, b: -3, c: true });
});

test('non-finite numbers are a type error wherever they come from', (t) => {
  userError(t, () => composeConfig({ overrides: ['optimizer.lr=1e400'] }), /optimizer\.lr: expected a finite number, got Infinity/);
  userError(t, () => composeConfig({ overrides: ['optimizer.lr=-.inf'] }), /optimizer\.lr: expected a finite number/);
  userError(t, () => composeConfig({ overrides: ['optimizer.lr=.nan'] }), /optimizer\.lr: expected a finite number/);
  userError(t, () => composeConfig({ overrides: ['task.seq_len=1e400'] }), /task\.seq_len: expected a finite number/);
  userError(t, () => composeConfig({ overrides: ['+train.sizes=[1, .inf]'] }), /train\.sizes: expected a finite number/);
  userError(t, () => composeConfig({ overrides: ['train.target=${eval:1e308 * 10}'] }), /train\.target.*not a finite number/);
  const root = mkdtempSync(join(tmpdir(), 'irnn-config-'));
  cpSync(EXPERIMENTS_DIR, root, { recursive: true });
  writeFileSync(join(root, 'optimizer', 'wild.yaml'), 'name: sgd\nlr: .inf\nmomentum: 0\nclip: null\n');
  userError(t, () => composeConfig({ overrides: ['optimizer=wild'], root }), /optimizer\.lr: expected a finite number/);
});

test('the launcher group: local by default, its keys checked, and never part of the run hash', (t) => {
  const local = composeConfig({ overrides: [] });
  t.is((local.config['launcher'] as { name: string }).name, 'local');
  const slurm = composeConfig({ overrides: ['launcher=slurm', 'launcher.partition=cpu', 'launcher.max_parallel=4'] });
  t.like(slurm.config['launcher'] as object, { name: 'slurm', partition: 'cpu', max_parallel: 4, time: '01:00:00' });
  const redis = composeConfig({ overrides: ['launcher=redis', 'launcher.url=redis://10.0.0.5:6379'] });
  t.is(configHash(slurm.config), configHash(local.config));
  t.is(configHash(redis.config), configHash(local.config));
  userError(t, () => composeConfig({ overrides: ['launcher.partition=cpu'] }), /launcher\.partition/);
});
