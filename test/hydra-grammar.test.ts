// Hydra's override grammar, case by case: rows from its OverrideLexer.g4 / OverrideParser.g4, its
// "Basic" and "Extended Override syntax" pages and its parser tests, mapped to this project's keys
// (`+train.x=VALUE` adds a key the schema leaves alone), each with the value Hydra gives; where irnn
// deliberately differs (README, "Where irnn differs from Hydra") the row says so. Most rows compose
// in process; a representative set goes through `irnn config --json` and `irnn sweep --dry-run`.
import test, { type ExecutionContext } from 'ava';
import { composeConfig } from '../src/config/index.js';
import { parseOverride, type Value } from '../src/config/overrides.js';
import { expandSweep } from '../src/config/sweep.js';
import { isUserError } from '../src/util/errors.js';
import { irnn, tmpDb } from './sweep-helpers.js';

type Row = readonly [string, unknown];

/** The value `+train.x=TEXT` gives a run's config. */
const value = (text: string): unknown => composeConfig({ overrides: [`+train.x=${text}`] }).config.train['x'];
/** The parsed value alone, for numbers a config refuses (inf, nan) and interpolations it resolves. */
const parsed = (text: string): unknown => parseOverride(`+train.x=${text}`).value;
/** The value of `key` in each job of a sweep (for a group, the option it picks). */
function jobValues(overrides: string[], key = 'train.x'): unknown[] {
  return expandSweep({ overrides }).map((job) => {
    const c = composeConfig({ overrides: job });
    const [a, b] = key.split('.') as [string, string | undefined];
    const config = c.config as unknown as Record<string, Record<string, unknown>>;
    if (b === undefined) return a in c.choices ? c.choices[a] : config[a]; // a group's option, or a top-level key
    return config[a]![b];
  });
}
const swept = (text: string) => jobValues([`+train.x=${text}`]);

function userError(t: ExecutionContext, fn: () => unknown, pattern: RegExp, label: string): void {
  const e = t.throws(fn, undefined, label);
  t.true(isUserError(e), `${label}: expected a UserError, got ${String(e)}`);
  if (e) {
    t.regex(e.message, pattern, label);
    t.false(e.message.includes('\n'), `${label}: one line`);
  }
}

function table(t: ExecutionContext, rows: readonly Row[], read: (text: string) => unknown): void {
  for (const [text, want] of rows) {
    try {
      t.deepEqual(read(text), want, text);
    } catch (e) {
      t.fail(`${text}: ${(e as Error).message}`);
    }
  }
}

const SPECIAL = '/-\\+.$%*@?|'; // the characters Hydra allows in unquoted text besides letters and digits

test('primitives: text, escapes, whitespace, null, ints, floats and booleans in any case', (t) => {
  table(t, [
    ['abc', 'abc'], ['abc123', 'abc123'], ['abc-123', 'abc-123'], ['123abc', '123abc'], ['10abc', '10abc'],
    ['a b c\t-\t1 2 3', 'a b c\t-\t1 2 3'], [' abc-123 ', 'abc-123'], ['value \t 123', 'value \t 123'], ['    hello world    ', 'hello world'],
    ['value-123', 'value-123'], ['value-1.0', 'value-1.0'], ['value-true', 'value-true'], ['', ''],
    ['a\\,b', 'a,b'], ['a\\:b', 'a:b'], ['a\\=b', 'a=b'], ['\\ ab', ' ab'], ['ab\\\t', 'ab\t'], ['ab\\\\', 'ab\\'], ['\\,', ','],
    ['f\\(a\\, b\\)', 'f(a, b)'], ['\\[a\\, b\\]', '[a, b]'], ['\\{a\\: b\\}', '{a: b}'], ['job\\{a\\=1\\,b\\=2\\,c\\=3\\}', 'job{a=1,b=2,c=3}'], ['A\\[B', 'A[B'],
    ['c:\\foo\\a-b.txt', 'c:\\foo\\a-b.txt'], ['.', '.'], ['a.b.c', 'a.b.c'], ['list.0.bar', 'list.0.bar'], ['0.foo', '0.foo'], [SPECIAL, SPECIAL],
    ['a: b', 'a: b'], ['0x10', '0x10'], ['1___0___', '1___0___'], ['2020-01-01', '2020-01-01'], ['02:00:00', '02:00:00'],
    ['null', null], ['NULL', null], ['nUlL', null],
    ['0', 0], ['1', 1], ['-1', -1], ['+1', 1], ['10_0', 100], ['1_000_000', 1000000],
    ['0.0', 0], ['0.51', 0.51], ['1e-05', 1e-5], ['-3.14', -3.14], ['3.1_4', 3.14], ['10e0', 10], ['-10e1', -100], ['-10e6', -1e7], ['.5', 0.5], ['5.', 5],
    ['true', true], ['True', true], ['TRUE', true], ['trUe', true], ['false', false], ['False', false], ['FALSE', false], ['faLse', false],
  ], value);
  // numbers a run refuses (numbers are finite) and interpolations it resolves, as parsed
  table(t, [
    ['inf', Infinity], ['INF', Infinity], ['+inf', Infinity], ['-inf', -Infinity], ['nan', NaN], ['NaN', NaN],
    ['xyz_${a.b.c}', 'xyz_${a.b.c}'], ['${f:USER,root}', '${f:USER,root}'], ['${foo:[1,2,3]}', '${foo:[1,2,3]}'], ['$\\{foo.bar\\}', '${foo.bar}'],
  ], parsed);
});

test('quoted strings: escaped quotes, backslashes kept except before a quote, anything inside', (t) => {
  table(t, [
    ["'foo \\'bar'", "foo 'bar"], ['"foo \\"bar"', 'foo "bar'], ["'foo \\\\\\'bar'", "foo \\'bar"], ['"foo \\\\\\"bar"', 'foo \\"bar'],
    ["'foo\\bar'", 'foo\\bar'], ['"foo\\bar"', 'foo\\bar'], ["'foo\\\\bar'", 'foo\\\\bar'], ["'foo\\\\\\\\bar'", 'foo\\\\\\\\bar'],
    ["'foo bar\\\\'", 'foo bar\\'], ["'foo \\\\\\\\\\'bar\\' \\\\\\\\\\\\'", "foo \\\\'bar' \\\\\\"],
    ["'\t []{},=+~'", '\t []{},=+~'], ['"\t []{},=+~"', '\t []{},=+~'], ["'a b c'", 'a b c'], ["'a,b'", 'a,b'], ['"1,2,3"', '1,2,3'],
    ["'  foo,bar\t'", '  foo,bar\t'], ["'foo , \t\t bar'", 'foo , \t\t bar'], ['"A[B"', 'A[B'], ['"hello there"', 'hello there'],
    ["'[1,2,3]'", '[1,2,3]'], ['"[1,2,3]"', '[1,2,3]'], ["\"[1,'2',3]\"", "[1,'2',3]"], ['"{a: 10}"', '{a: 10}'],
    ["'null'", 'null'], ["'100'", '100'], ["'3.14'", '3.14'], ["'nan'", 'nan'], ["'inf'", 'inf'], ["'true'", 'true'], ["'false'", 'false'],
    ['"escaped \\"double quote\\""', 'escaped "double quote"'], ["'escaped \\'single quote\\''", "escaped 'single quote'"],
    ['"the path is C:\\\\\\"some folder\\"\\\\"', 'the path is C:\\"some folder"\\'], ["'the path is C:\\\\\\'some folder\\'\\\\'", "the path is C:\\'some folder'\\"],
    ["'\"double quoted string\"'", '"double quoted string"'], ['"\'single quoted string\'"', "'single quoted string'"], ["'שלום'", 'שלום'], ["'run #3'", 'run #3'],
  ], value);
  table(t, [["'a ${b}'", 'a ${b}'], ["'a \\${b}'", 'a \\${b}'], ["'{a:10} ${xyz}'", '{a:10} ${xyz}'], ["'${foo:\\'b,a,r\\'}'", "${foo:'b,a,r'}"]], parsed);
});

test('lists are assigned and dictionaries given as {a:10} are dictionaries', (t) => {
  table(t, [
    ['[]', []], ['[1]', [1]], ['[1,2,3]', [1, 2, 3]], ['[1 ]', [1]], ['[1, 2, 3]', [1, 2, 3]], ["['a b']", ['a b']], ["['[a,b]']", ['[a,b]']],
    ['[[a]]', [['a']]], ['[[[a]]]', [[['a']]]], ['[1,[a]]', [1, ['a']]], ['[a,[b,[c]]]', ['a', ['b', ['c']]]], ["['a b', 2, 3]", ['a b', 2, 3]],
    ["['a\\\\', 'b\\\\']", ['a\\', 'b\\']], ['["a\\\\", "b\\\\"]', ['a\\', 'b\\']],
    ['{}', {}], ['{a:b}', { a: 'b' }], ['{a:10}', { a: 10 }], ['{a: 10}', { a: 10 }], ['{a:[a,10]}', { a: ['a', 10] }], ['{a:[true,10]}', { a: [true, 10] }],
    ['{a:10,b:20}', { a: 10, b: 20 }], ['{a:10,b:{}}', { a: 10, b: {} }], ['{a:10,b:{c:[1,2]}}', { a: 10, b: { c: [1, 2] } }],
    ['{a:10,b:{c:30,d:40}}', { a: 10, b: { c: 30, d: 40 } }], ['{a:10,b:[1,2,3]}', { a: 10, b: [1, 2, 3] }],
    ['{white spaces: 1}', { 'white spaces': 1 }], ['{ white  space\t: 2}', { 'white  space': 2 }], ['{w s: 0}', { 'w s': 0 }], ['{123id: 0}', { '123id': 0 }],
    [`{${SPECIAL.replace('.', '')}: 1}`, { [SPECIAL.replace('.', '')]: 1 }], ['{\\\\\\(\\)\\[\\]\\{\\}\\:\\=\\ \\\t\\,: 1}', { '\\()[]{}:= \t,': 1 }],
    ["{a: 'a\\\\', b: 'b\\\\'}", { a: 'a\\', b: 'b\\' }], ['{a: "a\\\\", b: "b\\\\"}', { a: 'a\\', b: 'b\\' }],
    // irnn: a dictionary key is text as typed (Hydra: null, the int 123, the bool true)
    ['{null: 1}', { null: 1 }], ['{123: 1, 0: 2, -1: 3}', { 123: 1, 0: 2, '-1': 3 }], ['{true: 1, fAlSe: 0}', { true: 1, fAlSe: 0 }],
  ], value);
});

test('functions on values: casts, sort, named arguments', (t) => {
  table(t, [
    ['int(10.0)', 10], ['str(10.0)', '10.0'], ['bool(10.0)', true], ['float(10)', 10], ['float(float(10))', 10], ['int(3.14)', 3], ['int(value=3.14)', 3],
    ['str(10)', '10'], ['bool(1)', true], ['str([1,2,3])', ['1', '2', '3']], ['str({a:10})', { a: '10' }], ['str([1,2])', ['1', '2']], ['str(\t  [  1,\t2  ]\t   )', ['1', '2']],
    ['sort([2,3,1])', [1, 2, 3]], ['sort([2,3,1],reverse=true)', [3, 2, 1]], ['sort(1)', 1], ['sort({a:10})', { a: 10 }], ['sort([1])', [1]],
    ['sort(list=[1,2,3])', [1, 2, 3]], ['sort(list=[])', []], ['sort(list=[1,3,2], reverse=True)', [3, 2, 1]], ['sort([b,a,c])', ['a', 'b', 'c']],
  ], value);
  // Hydra's conversion matrix: input, then int(), float(), str(), bool(); E is an error
  const E = /./;
  const matrix: ReadonlyArray<readonly [string, ...unknown[]]> = [
    ['10', 10, 10, '10', true], ['0', 0, 0, '0', false], ['10.0', 10, 10, '10.0', true], ['0.0', 0, 0, '0.0', false], ['1e6', 1000000, 1e6, '1000000.0', true],
    ['inf', E, Infinity, 'inf', true], ['nan', E, NaN, 'nan', true], ['foo', E, E, 'foo', E], ["''", E, E, '', E],
    ["'10'", 10, 10, '10', E], ["'10.0'", E, 10, '10.0', E], ["'true'", E, E, 'true', true], ["'false'", E, E, 'false', false],
    ["'[1,2,3]'", E, E, '[1,2,3]', E], ["'{a:10}'", E, E, '{a:10}', E], ['true', 1, 1, 'true', true], ['false', 0, 0, 'false', false],
    ['[]', [], [], [], []], ['[0,1,2]', [0, 1, 2], [0, 1, 2], ['0', '1', '2'], [false, true, true]], ['[1,[2]]', [1, [2]], [1, [2]], ['1', ['2']], [true, [true]]],
    ['[a,1]', E, E, ['a', '1'], E], ['{}', {}, {}, {}, {}], ['{a:10}', { a: 10 }, { a: 10 }, { a: '10' }, { a: true }],
    ['{a:[0,1,2]}', { a: [0, 1, 2] }, { a: [0, 1, 2] }, { a: ['0', '1', '2'] }, { a: [false, true, true] }], ['{a:10,b:xyz}', E, E, { a: '10', b: 'xyz' }, E],
    ['{a:10,b:xyz,c:{d:foo,f:[1,2,{g:0}]}}', E, E, { a: '10', b: 'xyz', c: { d: 'foo', f: ['1', '2', { g: '0' }] } }, E],
  ];
  for (const [input, ...wants] of matrix) {
    (['int', 'float', 'str', 'bool'] as const).forEach((cast, i) => {
      const text = `${cast}(${input})`;
      if (wants[i] === E) userError(t, () => parsed(text), /\(\)|cannot|not a/, text);
      else t.deepEqual(parsed(text), wants[i] as Value, text);
    });
  }
});

test('sweeps: a,b and choice(), range() with ints, floats and named arguments, sort, tag, casts', (t) => {
  const floats = (from: number, n: number, step: number) => Array.from({ length: n }, (_, i) => Math.round((from + i * step) * 1e9) / 1e9);
  table(t, [
    ['1,2,3', [1, 2, 3]], ['1, 2, 3', [1, 2, 3]], ['1 ,  2,\t\t3', [1, 2, 3]], ['a,10,3.14', ['a', 10, 3.14]], ['a , b', ['a', 'b']],
    ['[a,b],[c,d]', [['a', 'b'], ['c', 'd']]], ['[1  ,\t2\t],[\t3\t   ,4  ]', [[1, 2], [3, 4]]], ['"a,b","c,d"', ['a,b', 'c,d']], ['a\\,b,c', ['a,b', 'c']],
    ['{a:10, b:20},{c:30,d:40}', [{ a: 10, b: 20 }, { c: 30, d: 40 }]], ['null,1', [null, 1]],
    ['choice(a)', ['a']], ['choice(a,b)', ['a', 'b']], ['choice (a,b)', ['a', 'b']], ['choice( 10 , 20 )', [10, 20]], ['choice\t(  1\t\t )', [1]],
    ['choice(\t\t1,   2, \t 3 )', [1, 2, 3]], ['choice(str(10))', ['10']], ['choice([1,2],[3,4])', [[1, 2], [3, 4]]], ['choice({a:1},{a:2})', [{ a: 1 }, { a: 2 }]],
    ['range(10,11)', [10]], ['range (10,11)', [10]], ['range(1,10,2)', [1, 3, 5, 7, 9]], ['range(start=1,stop=10,step=2)', [1, 3, 5, 7, 9]], ['range(1,step=2,stop=10)', [1, 3, 5, 7, 9]],
    ['range(0,2)', [0, 1]], ['range(1,5,2)', [1, 3]], ['range(10.0, 11.0)', [10]], ['range(1.0, 3.14)', [1, 2, 3]], ['range(1.0, 3.14, 0.1)', floats(1, 22, 0.1)],
    ['range(10)', floats(0, 10, 1)], ['range(5)', [0, 1, 2, 3, 4]], ['range(0,5,2)', [0, 2, 4]], ['range(-10, step=-1)', floats(0, 10, -1)], ['range(-5,step=-1)', [0, -1, -2, -3, -4]],
    ['range(5.5)', [0, 1, 2, 3, 4, 5]], ['range(5.5, step=0.5)', floats(0, 11, 0.5)], ['range(0,10,3.3)', [0, 3.3, 6.6, 9.9]], ['range(0,1,step=0.25)', [0, 0.25, 0.5, 0.75]],
    ['sort(3,2,1)', [1, 2, 3]], ['sort(1,3,2,reverse=true)', [3, 2, 1]], ['sort(a,c,b,reverse=true)', ['c', 'b', 'a']], ['float(sort(3,2,1))', [1, 2, 3]], ['sort(float(3,2,1))', [1, 2, 3]],
    ['sort(choice(1,2,3))', [1, 2, 3]], ['sort(sweep=choice(1,2,3))', [1, 2, 3]], ['sort(choice(3,1,2), reverse=True)', [3, 2, 1]], ['sort(tag(a,b,choice(1,2,3)), reverse=True)', [3, 2, 1]],
    ['sort(range(1, 10))', floats(1, 9, 1)], ['sort(range(9,0,-1))', floats(1, 9, 1)], ['sort(range(1,10),reverse=True)', floats(9, 9, -1)], ['sort(sort(range(1, 10),reverse=true))', floats(1, 9, 1)],
    ['sort(range(0,2,0.5))', [0, 0.5, 1, 1.5]], ['sort(range(1.5,-0.5,-0.5))', [0, 0.5, 1, 1.5]], ['sort(range(0,2,0.5),reverse=true)', [1.5, 1, 0.5, 0]],
    ['sort(range(0,5,2),reverse=True)', [4, 2, 0]], ['sort(range(4,-1,-2))', [0, 2, 4]], ['sort(range(7,0,-3))', [1, 4, 7]], ['sort(range(0,1,0.1),reverse=true)', floats(0.9, 10, -0.1)],
    ['tag(choice(a,b))', ['a', 'b']], ['tag(tag1,tag2,choice(a,b))', ['a', 'b']], ['tag(range(1,2))', [1]], ['tag(tag1,tag2,sweep=range(1,2))', [1]], ['tag(a,b,choice([1,2],[3,4]))', [[1, 2], [3, 4]]],
    ['int(choice(0,1))', [0, 1]], ['str(choice(0,1))', ['0', '1']], ['bool(choice(0,1))', [false, true]], ['int(2,1,0)', [2, 1, 0]], ['bool(2,1,0)', [true, true, false]],
    ["str(a,'b',1,1.0,true,[a,b],{a:10})", ['a', 'b', '1', '1.0', 'true', ['a', 'b'], { a: '10' }]], ['str(choice(1,a))', ['1', 'a']],
    ['float(range(1,10))', floats(1, 9, 1)], ['int(range(1.0, 10.0))', floats(1, 9, 1)], ['logspace(1e-3,1e-1,3)', [1e-3, 1e-2, 1e-1]],
    // values made by functions, written out for each job and read back the same
    ["str('x#y', \"it's\", 'a b', a\\,b)", ['x#y', "it's", 'a b', 'a,b']], ['sort(choice(true,false))', [false, true]],
    // irnn: a quoted value stays text in every job (Hydra's basic sweeper passes choice('1') on as 1)
    ["choice('1','2')", ['1', '2']],
  ], swept);
});

test('glob() picks a config group\'s options with include and exclude patterns', (t) => {
  table(t, [
    ['glob(*)', ['gru', 'irnn', 'lstm', 'rnn_relu', 'rnn_tanh']], ['glob(include=*)', ['gru', 'irnn', 'lstm', 'rnn_relu', 'rnn_tanh']], ['glob(include=[*])', ['gru', 'irnn', 'lstm', 'rnn_relu', 'rnn_tanh']],
    ['glob(*,exclude=gru)', ['irnn', 'lstm', 'rnn_relu', 'rnn_tanh']], ['glob(*,exclude=[gru,lstm])', ['irnn', 'rnn_relu', 'rnn_tanh']],
    ['glob([rnn_*,gru],exclude=rnn_tanh)', ['gru', 'rnn_relu']], ['glob(include=[g*, l*], exclude=lstm)', ['gru']], ['glob(rnn_????)', ['rnn_relu', 'rnn_tanh']],
    ["glob('rnn_[!r]*')", ['rnn_tanh']], ["glob('[gi]*')", ['gru', 'irnn']], ['glob(*,exclude=*r*)', ['lstm']],
  ], (text) => jobValues([`model=${text}`], 'model'));
  t.deepEqual([...new Set(jobValues(['+experiment/paper=glob(*mnist)'], 'experiment'))], ['paper/permuted_mnist', 'paper/pixel_mnist']);
});

test('shuffle() keeps the values and changes their order', (t) => {
  const sorted = (v: unknown[]) => [...(v as number[])].sort((a, b) => a - b);
  const orders = new Set<string>();
  for (let i = 0; i < 20; i++) {
    for (const text of ['shuffle(range(1,10))', 'shuffle(1,2,3,4,5,6,7,8,9)', 'shuffle(choice(1,2,3,4,5,6,7,8,9))']) {
      const v = swept(text);
      t.deepEqual(sorted(v), [1, 2, 3, 4, 5, 6, 7, 8, 9], text);
      orders.add(JSON.stringify(v));
    }
    const list = value('shuffle([1,2,3,4,5,6,7,8,9])') as number[];
    t.deepEqual(sorted(list), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    orders.add(JSON.stringify(list));
  }
  t.true(orders.size > 1, 'the order changes');
  t.deepEqual(value('shuffle(list=[7])'), [7]);
  t.deepEqual(value('shuffle(a)'), ['a']);
});

test('keys: dotted paths, list positions, $, groups and group@package; + ++ ~ prefixes', (t) => {
  const keyOf = (text: string) => {
    const o = parseOverride(text);
    return [o.op, o.key, o.package ?? null, o.value ?? null];
  };
  table(t, [
    ['abc=1', ['set', 'abc', null, 1]], ['abc.cde=1', ['set', 'abc.cde', null, 1]], ['ab-c.d-ef=1', ['set', 'ab-c.d-ef', null, 1]], ['$foo=1', ['set', '$foo', null, 1]],
    ['$foo.bar$.x$z=1', ['set', '$foo.bar$.x$z', null, 1]], ['list.0=5', ['set', 'list.0', null, 5]], ['a/b/c=x', ['set', 'a/b/c', null, 'x']], ['a-b/c=x', ['set', 'a-b/c', null, 'x']],
    ['group@pkg1=x', ['set', 'group', 'pkg1', 'x']], ['group@=x', ['set', 'group', '', 'x']], ['group@$pkg1=x', ['set', 'group', '$pkg1', 'x']], ['key@_name_=value', ['set', 'key', '_name_', 'value']],
    ['+key@pkg1=value', ['add', 'key', 'pkg1', 'value']], ['++key=value', ['force', 'key', null, 'value']], ['~key=value', ['delete', 'key', null, 'value']],
    ['~x', ['delete', 'x', null, null]], ['~x=10', ['delete', 'x', null, 10]], ['~x=', ['delete', 'x', null, '']], ['choice=reverse', ['set', 'choice', null, 'reverse']],
    ["key='1,2,3'", ['set', 'key', null, '1,2,3']], ['key= \tvalue \t', ['set', 'key', null, 'value']],
  ], keyOf);
});

test('overrides compose as in Hydra: dictionaries merge, + adds, ++ adds or sets, ~ deletes, lists by position', (t) => {
  const c = (...o: string[]) => composeConfig({ overrides: o }).config as unknown as Record<'train' | 'model' | 'optimizer', Record<string, unknown>>;
  t.like(c('train={steps: 5}').train, { steps: 5, batch_size: 16, eval_every: 250 });
  t.like(c('model={hidden:7,layers:2}').model, { hidden: 7, layers: 2, cell: 'rnn_relu' });
  t.deepEqual(c('+train.note={a:10,b:20}').train['note'], { a: 10, b: 20 });
  t.like(c('+train={note: x, steps: 3}').train, { note: 'x', steps: 3, batch_size: 16 });
  t.like(c('++train.steps=3', '++train.y=4').train, { steps: 3, y: 4 });
  t.is(c('+optimizer.lr_half_life=100').optimizer['lr_half_life'], 100); // + on a key holding null, as Hydra allows
  t.deepEqual(c('+train.sizes=[1,2,3]', 'train.sizes.1=7', '~train.sizes.0').train['sizes'], [7, 3]);
  t.deepEqual(c('+train.sizes=[1,2]', 'train.sizes=[5]').train['sizes'], [5]);
  t.false('y' in c('+train.y=3', '~train.y=3').train);
  t.false('beta1' in c('~optimizer.beta1').optimizer);
  const err = (o: string[], pattern: RegExp) => userError(t, () => composeConfig({ overrides: o }), pattern, o.join(' '));
  err(['train={nope: 1}'], /train\.nope: no such key/);
  err(['+train.steps=3'], /\+train\.steps: the key already exists; .*\+\+train\.steps=VALUE/);
  err(['~optimizer.clip=2'], /the key holds 1, not that value/);
  err(['+train.sizes=[1,2]', 'train.sizes.2=7'], /2 is not a position in the list train\.sizes \(it has 2 items/);
  err(['train=[1]'], /train: is a mapping/);
});

test('config groups: pick, add with +, place with @package, nested folders; the wrong prefix is refused', (t) => {
  const r = (...o: string[]) => composeConfig({ overrides: o });
  const teacher = r('+model@teacher=lstm');
  t.is(teacher.config.model.cell, 'rnn_relu');
  t.like(teacher.config['teacher'] as object, { cell: 'lstm', forget_bias: 1 });
  t.is(teacher.choices['model@teacher'], 'lstm');
  t.deepEqual(r('+experiment/paper=adding').config, r('+experiment=paper/adding').config);
  t.is(r('+experiment/paper=adding').choices['experiment'], 'paper/adding');
  t.is(r('+experiment=paper/adding', 'model=lstm').config.model.cell, 'lstm');
  const err = (o: string, pattern: RegExp) => userError(t, () => r(o), pattern, o);
  err('experiment=paper/adding', /experiment is not in the defaults list; add it with \+experiment=paper\/adding/);
  err('+model=lstm', /model is already in the defaults list \(irnn\); pick another option with model=lstm/);
  err('++model=lstm', /'\+\+' adds or sets a config value, not a group option/);
  err('model@teacher=lstm', /model@teacher is not in the defaults list; add it with \+model@teacher=lstm/);
  err('~model=lstm', /model is irnn, not lstm/);
  err('model=[lstm,gru]', /several options of a group at once is not supported; sweep them instead: model=lstm,gru/);
  err('model.hidden@x=3', /'@x' places a config group's option, and 'model\.hidden' is not a group/);
  err('nope/sub=x', /no config group 'nope'/);
  err('+experiment@foo=paper/adding', /an experiment preset applies to the whole config; drop '@foo'/);
  userError(t, () => r('~model'), /model\.cell: missing/, '~model removes the group: its keys are missing');
});

test('mistakes are one line naming the construct and the way out', (t) => {
  const rows: ReadonlyArray<readonly [string, RegExp]> = [
    ['+train.x=run #3', /'#' cannot appear unquoted in a value; quote the value/], ['+train.x=a=b', /'=' inside a value: escape it \(a\\=b\) or quote the value/],
    ['+train.x=~', /'~' cannot appear in a value \(null is written null/], ['+train.x=[', /missing '\]'/], ['+train.x=[]aa', /unexpected 'aa'/],
    ["+train.x=['a\\', 'b']", /unclosed quote/], ["+train.x=[1,2,3]'", /unclosed quote/], ["+train.x={'0a': 0, \"1b\": 1}", /a dictionary key cannot be quoted/],
    ["+train.x={' abc ': 0}", /a dictionary key cannot be quoted/], ['+train.x={a}', /':' after the key 'a'/], ['+train.x=a,,b', /empty value in the list/],
    ['$foo/bar=foobar', /is not a valid key/], ['a b=1', /' ' cannot appear in the key/], ['db@a:b=x', /package renaming\) is not supported/],
    ['+train.x=extend_list(foobar)', /extend_list\(\) is not in a released Hydra/], ['+train.x=linspace(0,1,3)', /unknown sweep function 'linspace' \(known: choice, range/],
    ['+train.x=sort(3,2,str(1))', /sort\(\) cannot compare/], ['+train.x=range(start=10,20,1)', /positional argument follows keyword argument/],
    ['+train.x=range(1,2,3,4)', /range\(\) takes at most 3 positional arguments, got 4/], ['+train.x=range(1,foo=2)', /range\(\) got an unexpected argument 'foo'/],
    ['+train.x=choice()', /choice\(\) needs at least one value/], ['+train.x=choice(choice(1,2))', /nesting choices is not supported/],
    ['+train.x=int(inf)', /cannot convert inf to a whole number/], ['+train.x=bool(foo)', /cannot cast 'foo' to bool/],
    ['+train.x=str(range(1,10))', /a range can only be cast to int or float/], ['+train.x=str(interval(1.0, 2.0))', /an interval cannot be cast to str/],
    ['+train.x={a.b: 1}', /the dictionary key 'a\.b' contains '\.'.*nest it instead: \{a: \{b: \.\.\.\}\}/], // irnn: Hydra keeps 'a.b' as one key
    ['+train.x=tag(a,b)', /the last argument of tag\(\) must be a choice\(\), range\(\) or interval\(\)/], ['+train.x=[choice(1,2)]', /a choice\(\) sweep cannot be inside a list/],
    ['+train.x=99999999999999999999', /too large for an exact whole number/], ['+train.x=nan', /train\.x: expected a finite number, got NaN \(inf and nan are numbers; quoted, 'nan' is text\)/],
    ['+train.x=.inf', /expected a finite number/], // irnn: YAML's .inf is a number too, and refused (Hydra: the text '.inf')
    ['seed=1,2', /'seed=1,2' is a sweep \(a list of 2 values\): irnn run and irnn config take one value per key/], ['seed=range(1,3)', /is a sweep \(a range\(\)\)/],
    ['seed=choice(1)', /is a sweep/],
  ];
  for (const [o, pattern] of rows) userError(t, () => composeConfig({ overrides: [o] }), pattern, o);
  const sweeps: ReadonlyArray<readonly [string, RegExp]> = [
    ['optimizer.lr=interval(0,1)', /interval\(\) is a continuous range that only a sampling sweeper draws from.*range\(\.\.\.\), logspace\(\.\.\.\)/],
    ['optimizer.lr=tag(log,interval(0,1))', /interval\(\) is a continuous range/], ['optimizer.lr=interval(start=2.72,end=3.14)', /interval\(\)/],
    ['seed=range(-10)', /the range is empty/], // irnn: an empty range is refused (Hydra's basic sweeper runs no job)
    ['model=glob(zz*)', /glob\(\) matches no option of model/], ['model=glob(*,exclude=*)', /matches no option/],
  ];
  for (const [o, pattern] of sweeps) userError(t, () => expandSweep({ overrides: [o] }), pattern, o);
});

test('the project\'s own forms keep working: logspace, zip, lists holding sweeps, presets, nested ${eval:...}', (t) => {
  t.deepEqual(jobValues(['optimizer.lr=logspace(1e-9,1e-1,9)'], 'optimizer.lr'), [1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
  t.deepEqual(jobValues(['seed=0,range(10,12)'], 'seed'), [0, 10, 11]); // a list may hold sweeps (Hydra: no)
  t.deepEqual(jobValues(['model=irnn,glob(rnn_*)'], 'model'), ['irnn', 'rnn_relu', 'rnn_tanh']);
  t.deepEqual(expandSweep({ overrides: ['zip(model=[irnn,lstm], +train.x=[a\\,b,"c d"])'] }), [['model=irnn', '+train.x=a\\,b'], ['model=lstm', '+train.x="c d"']]);
  t.is(expandSweep({ overrides: ['+experiment=paper/adding'] }).length, 1008);
  t.is(composeConfig({ overrides: ['train.eval_every=${eval:${train.steps} / 4}', 'train.steps=40'] }).config.train.eval_every, 10);
});

test('through the CLI: irnn config --json and irnn sweep --dry-run give Hydra\'s values, or one line and exit 2', async (t) => {
  const config = async (o: string) => {
    const r = await irnn(['config', '--json', o]);
    return { ...r, train: r.code === 0 ? (JSON.parse(r.stdout) as { config: { train: Record<string, unknown> } }).config.train : null };
  };
  const dry = async (o: string) => {
    const r = await irnn(['sweep', '--dry-run', '--json', '--db', tmpDb(), o]);
    return { ...r, jobs: r.code === 0 ? (JSON.parse(r.stdout) as { jobs: Array<{ overrides: string[] }> }).jobs.map((j) => j.overrides.join(' ')) : null };
  };
  const batches: Array<Array<() => Promise<unknown>>> = [
    [
      async () => t.deepEqual((await config('+train.note={a:10,b:20}')).train?.['note'], { a: 10, b: 20 }),
      async () => t.like((await config('train={steps: 5}')).train, { steps: 5, batch_size: 16 }),
      async () => t.is((await config('+train.note=a\\,b')).train?.['note'], 'a,b'),
    ],
    [
      async () => t.is((await config('+train.note="foo\\bar"')).train?.['note'], 'foo\\bar'),
      async () => t.is((await config("+train.note='foo \\'bar'")).train?.['note'], "foo 'bar"),
      async () => t.is((await config('+train.note=0x10')).train?.['note'], '0x10'),
    ],
    [
      async () => t.is((await config('train.steps=int(64.0)')).train?.['steps'], 64),
      async () => t.deepEqual((await dry('model=glob(*,exclude=[gru,lstm])')).jobs, ['model=irnn', 'model=rnn_relu', 'model=rnn_tanh']),
      async () => t.deepEqual((await dry('model=glob([rnn_*,gru],exclude=rnn_tanh)')).jobs, ['model=gru', 'model=rnn_relu']),
    ],
    [
      async () => t.deepEqual((await dry('+train.note=a\\,b,c')).jobs, ['+train.note=a\\,b', '+train.note=c']),
      async () => t.deepEqual((await dry('optimizer.lr=range(0,1,step=0.25)')).jobs, ['optimizer.lr=0.0', 'optimizer.lr=0.25', 'optimizer.lr=0.5', 'optimizer.lr=0.75']),
      async () => t.deepEqual((await dry('seed=sort(choice(2,0,1))')).jobs, ['seed=0', 'seed=1', 'seed=2']),
    ],
    [
      async () => oneLine(await config('+train.note=run #3'), /'#' cannot appear unquoted in a value; quote the value/),
      async () => oneLine(await config('seed=1,2'), /'seed=1,2' is a sweep/),
      async () => oneLine(await dry('optimizer.lr=interval(0,1)'), /interval\(\) is a continuous range/),
    ],
  ];
  function oneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, pattern);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  for (const batch of batches) await Promise.all(batch.map((f) => f()));
});
