import test from 'ava';
import { composeConfig, configHash } from '../src/config/index.js';
import { parseOverride, parseValue } from '../src/config/overrides.js';
import { interpolate } from '../src/config/interpolate.js';
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
