// The functions an override value may call, as in Hydra 1.3: choice, range, interval, tag, sort,
// shuffle, glob and the casts int/float/str/bool, plus this project's logspace. Arguments bind
// like Python's (positional, then name=value); each function checks its argument types. Also
// evaluates a parsed value (parser.ts) into elements and sweeps; sweeps.ts lists a sweep's values.
import { UserError } from '../../util/errors.js';
import { cast } from './casts.js';
import type { Node } from './parser.js';
import { logspace, reverseRange, shuffled } from './sweeps.js';
import { fail, float, int, isSweep, kindOf, type El, type Num, type Parsed, type Sweep } from './values.js';

interface Param {
  name: string;
  /** Takes every remaining positional argument (Python's *args); later parameters are named only. */
  rest?: true;
  required?: true;
}

type Args = Record<string, Parsed | Parsed[] | undefined>;

interface FunctionDef {
  params: Param[];
  call: (a: Args, where: string) => Parsed;
}

const rest = (a: Args) => (a['args'] ?? []) as Parsed[];
const one = (a: Args, name: string) => a[name] as Parsed | undefined;

function num(p: Parsed | undefined, fn: string, param: string, where: string): Num {
  if (p?.k === 'int' || p?.k === 'float') return p;
  const shown = p?.k === 'str' ? `'${p.v}'` : p ? kindOf(p) : 'nothing';
  return fail(where, `${shown} is not a number (${param} of ${fn}())`);
}

function element(p: Parsed, where: string, inside: string): El {
  if (isSweep(p)) fail(where, `a ${p.k}() sweep cannot be inside ${inside}; a sweep is a whole value (key=${p.k}(...))`);
  return p;
}

/** Python's ordering for sorted(): numbers (and booleans) with numbers, text with text. */
function compare(a: El, b: El, where: string): number {
  const n = (x: El) => (x.k === 'int' || x.k === 'float' ? x.v : x.k === 'bool' ? Number(x.v) : null);
  const [x, y] = [n(a), n(b)];
  if (x !== null && y !== null) return x - y;
  if (a.k === 'str' && b.k === 'str') return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  return fail(where, `sort() cannot compare ${kindOf(a)} with ${kindOf(b)}`);
}

function sortEls(items: El[], reverse: boolean, where: string): El[] {
  return [...items].sort((a, b) => (reverse ? -1 : 1) * compare(a, b, where));
}

function sortSweep(s: Parsed, reverse: boolean, where: string): Parsed {
  if (s.k === 'choice') return { ...s, items: sortEls(s.items, reverse, where) };
  if (s.k === 'range') return (s.step.v > 0) === reverse ? reverseRange(s, where) : s;
  return fail(where, `sort() sorts a list, values, a choice() or a range(), not ${kindOf(s)}`);
}

function bool(p: Parsed | undefined, fn: string, where: string): boolean {
  if (p === undefined) return false;
  if (p.k !== 'bool') fail(where, `reverse of ${fn}() must be true or false, not ${kindOf(p)}`);
  return p.v;
}

const values = (args: Parsed[], where: string): El[] => args.map((x) => element(x, where, 'a choice'));

function simpleChoice(args: Parsed[], where: string): Sweep {
  return { k: 'choice', items: values(args, where), simple: true };
}

const patterns = (p: Parsed | undefined, what: string, where: string): string[] => {
  if (p === undefined || p.k === 'null') return [];
  const list = p.k === 'list' ? p.items : [p];
  return list.map((x) => (x.k === 'str' ? x.v : fail(where, `glob() ${what} patterns are text, not ${kindOf(x)}`)));
};

const casts = Object.fromEntries(
  (['int', 'float', 'str', 'bool'] as const).map((to) => [
    to,
    {
      params: [{ name: 'args', rest: true }, { name: 'value' }],
      call: (a: Args, where: string) => {
        const args = rest(a);
        const value = one(a, 'value');
        if (value !== undefined && args.length > 0) fail(where, `${to}() takes its value either positionally or as value=..., not both`);
        if (value === undefined && args.length === 0) fail(where, `${to}() needs a value`);
        return cast(value ?? (args.length === 1 ? args[0]! : simpleChoice(args, where)), to, where);
      },
    } satisfies FunctionDef,
  ]),
) as Record<'int' | 'float' | 'str' | 'bool', FunctionDef>;

export const FUNCTIONS = {
  choice: {
    params: [{ name: 'args', rest: true }],
    call: (a, where) => {
      const args = rest(a);
      if (args.length === 0) fail(where, 'choice() needs at least one value');
      const first = args[0]!;
      if (args.length === 1 && first.k === 'choice') {
        if (!first.simple) fail(where, 'choice() of a choice(): nesting choices is not supported');
        return { ...first, simple: false };
      }
      const items = values(args, where);
      if (items.some((x) => x.k === 'null')) fail(where, 'choice() takes no null (as in Hydra); write key=null,VALUE for a sweep that includes null');
      return { k: 'choice', items, simple: false };
    },
  },
  range: {
    params: [{ name: 'start', required: true }, { name: 'stop' }, { name: 'step' }],
    call: (a, where) => {
      let start = num(one(a, 'start'), 'range', 'start', where);
      const stopArg = one(a, 'stop');
      let stop = stopArg === undefined || stopArg.k === 'null' ? undefined : num(stopArg, 'range', 'stop', where);
      const step = one(a, 'step') === undefined ? int(1) : num(one(a, 'step'), 'range', 'step', where);
      if (stop === undefined) [start, stop] = [int(0), start];
      return { k: 'range', start, stop, step };
    },
  },
  interval: {
    params: [{ name: 'start', required: true }, { name: 'end', required: true }],
    call: (a, where) => ({
      k: 'interval',
      start: float(num(one(a, 'start'), 'interval', 'start', where).v),
      end: float(num(one(a, 'end'), 'interval', 'end', where).v),
    }),
  },
  tag: {
    params: [{ name: 'args', rest: true }, { name: 'sweep' }],
    call: (a, where) => {
      const args = [...rest(a), ...(one(a, 'sweep') ? [one(a, 'sweep')!] : [])];
      const last = args[args.length - 1];
      if (!last || !(last.k === 'choice' || last.k === 'range' || last.k === 'interval')) {
        fail(where, `the last argument of tag() must be a choice(), range() or interval(), not ${last ? kindOf(last) : 'nothing'}`);
      }
      const tags = args.slice(0, -1).map((t) => (t.k === 'str' ? t.v : fail(where, `tags are text, not ${kindOf(t)}`)));
      return { ...last, tags: [...new Set(tags)] };
    },
  },
  sort: {
    params: [{ name: 'args', rest: true }, { name: 'sweep' }, { name: 'list' }, { name: 'reverse' }],
    call: (a, where) => {
      const reverse = bool(one(a, 'reverse'), 'sort', where);
      const list = one(a, 'list');
      if (list !== undefined) {
        if (list.k !== 'list') fail(where, `list= of sort() must be a list, not ${kindOf(list)}`);
        return { k: 'list', items: sortEls(list.items, reverse, where) };
      }
      const sweep = one(a, 'sweep');
      if (sweep !== undefined) return sortSweep(sweep, reverse, where);
      const args = rest(a);
      if (args.length === 0) fail(where, 'sort() needs something to sort');
      if (args.length > 1) return sortSweep(simpleChoice(args, where), reverse, where);
      const arg = args[0]!;
      if (arg.k === 'choice' || arg.k === 'range') return sortSweep(arg, reverse, where);
      if (arg.k === 'list') return { k: 'list', items: sortEls(arg.items, reverse, where) };
      return element(arg, where, 'sort() alone');
    },
  },
  shuffle: {
    params: [{ name: 'args', rest: true }, { name: 'sweep' }, { name: 'list' }],
    call: (a, where) => {
      const list = one(a, 'list');
      const sweep = one(a, 'sweep');
      const args = list !== undefined ? [list] : sweep !== undefined ? [sweep] : rest(a);
      if (args.length === 0) fail(where, 'shuffle() needs something to shuffle');
      if (args.length > 1) return { ...simpleChoice(args, where), shuffle: true } as Sweep;
      const arg = args[0]!;
      if (arg.k === 'choice' || arg.k === 'range') return { ...arg, shuffle: true };
      if (arg.k === 'list') return { k: 'list', items: shuffled(arg.items) };
      return { k: 'list', items: [element(arg, where, 'shuffle()')] };
    },
  },
  glob: {
    params: [{ name: 'include', required: true }, { name: 'exclude' }],
    call: (a, where) => ({ k: 'glob', include: patterns(one(a, 'include'), 'include', where), exclude: patterns(one(a, 'exclude'), 'exclude', where) }),
  },
  logspace: {
    params: [{ name: 'start', required: true }, { name: 'stop', required: true }, { name: 'num', required: true }],
    call: (a, where) => {
      const [start, stop, n] = (['start', 'stop', 'num'] as const).map((p) => num(one(a, p), 'logspace', p, where)) as [Num, Num, Num];
      return { k: 'choice', items: logspace(start, stop, n, where), simple: false };
    },
  },
  ...casts,
} satisfies Record<string, FunctionDef>;

/** Functions that are not here, with the way to do without them. */
const MISSING: Record<string, string> = {
  zip: 'zip() is a whole override, e.g. zip(model=[irnn,lstm], optimizer.lr=[1e-2,1e-3])',
  json_str: 'json_str() is not in a released Hydra (1.3); quote the JSON text instead',
  extend_list: 'extend_list() is not in a released Hydra (1.3); give the whole list, key=[a,b,c]',
};

/** Binds arguments as Python does: positional ones in order (the rest to *args), then by name. */
function bind(name: string, def: FunctionDef, args: Array<{ name?: string; value: Parsed }>, where: string): Args {
  const out: Args = {};
  const positional = def.params.filter((p, i) => !def.params.slice(0, i).some((q) => q.rest));
  let named = false;
  let at = 0;
  for (const arg of args) {
    if (arg.name === undefined) {
      if (named) fail(where, 'positional argument follows keyword argument');
      const p = positional[Math.min(at, positional.length - 1)];
      if (!p || (!p.rest && at >= positional.length)) fail(where, `${name}() takes at most ${positional.length} positional arguments, got ${args.filter((x) => !x.name).length}`);
      if (p.rest) out[p.name] = [...((out[p.name] as Parsed[] | undefined) ?? []), arg.value];
      else out[p.name] = arg.value;
      at++;
      continue;
    }
    named = true;
    const p = def.params.find((q) => q.name === arg.name && !q.rest);
    if (!p) fail(where, `${name}() got an unexpected argument '${arg.name}' (its arguments: ${def.params.map((q) => (q.rest ? `*${q.name}` : q.name)).join(', ')})`);
    if (out[p.name] !== undefined) fail(where, `${name}() got two values for '${p.name}'`);
    out[p.name] = arg.value;
  }
  const missing = def.params.find((p) => p.required && out[p.name] === undefined);
  if (missing) fail(where, `${name}() is missing its argument '${missing.name}'`);
  return out;
}

/** A parsed value, its functions evaluated: an element (text as typed kept) or a sweep. */
export function evaluate(node: Node, where: string): Parsed {
  switch (node.k) {
    case 'list-node': {
      const items = node.items.map((n) => element(evaluate(n, where), where, 'a list'));
      return { k: 'list', items, ...(items.every((x) => x.src !== undefined) ? { src: node.src } : {}) };
    }
    case 'dict-node': {
      const entries = node.entries.map(([k, n]): [string, El] => [k, element(evaluate(n, where), where, 'a dictionary')]);
      return { k: 'dict', entries, ...(entries.every(([, x]) => x.src !== undefined) ? { src: node.src } : {}) };
    }
    case 'choices': {
      // a sweep among the values (seed=0,range(10,12)) is this project's: its values join the list
      const items = node.items.map((n) => evaluate(n, where));
      return items.some(isSweep) ? { k: 'concat', parts: items } : simpleChoice(items, where);
    }
    case 'call': {
      const at = `${where}: ${node.src}`;
      const def = (FUNCTIONS as Record<string, FunctionDef>)[node.name];
      if (!def || !Object.hasOwn(FUNCTIONS, node.name)) {
        if (MISSING[node.name]) throw new UserError(`${where}: ${MISSING[node.name]}`);
        throw new UserError(`${at}: unknown sweep function '${node.name}' (known: ${Object.keys(FUNCTIONS).join(', ')}, zip; quote the value if it is text)`);
      }
      return def.call(bind(node.name, def, node.args.map((x) => ({ name: x.name, value: evaluate(x.node, where) })), at), at);
    }
    default:
      return node;
  }
}
