// The sweep grammar on top of the override grammar: `k=a,b` lists, range(), logspace(), glob()
// over a config group's options, and zip(k1=[..], k2=[..]) paired values, plus an experiment
// preset's own `sweep:`. Expands into jobs, each a list of plain overrides for composeConfig.
// It composes nothing beyond reading a preset's `sweep:` and runs nothing.
import { UserError } from '../util/errors.js';
import { compose, groupNames, groupOptions } from './compose.js';
import type { Value } from './overrides.js';
import { isMapping } from './tree.js';

/** One factor of the product: the keys it sets and its rows (one override string per key; the
 *  rows of a preset's `one_of` may set different subsets of `keys`, marked `union`). */
interface Item {
  keys: string[];
  rows: string[][];
  swept: boolean;
  union?: boolean;
}

const FUNCTIONS = ['range', 'logspace', 'glob'] as const;
const CALL = /^([A-Za-z_]\w*)\(([\s\S]*)\)$/;
const MAX_VALUES = 100_000;

/** Splits at `sep` outside quotes and brackets; unbalanced text is a user error. */
function splitTopLevel(text: string, where: string, sep = ','): string[] {
  const out: string[] = [];
  const closing: string[] = [];
  const pairs: Record<string, string> = { '[': ']', '{': '}', '(': ')' };
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (pairs[c]) {
      closing.push(pairs[c]!);
    } else if (c === ']' || c === '}' || c === ')') {
      if (closing.pop() !== c) throw new UserError(`${where}: unbalanced '${c}' in '${text}'`);
    } else if (c === sep && closing.length === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quote) throw new UserError(`${where}: unclosed quote ${quote} in '${text}'`);
  if (closing.length) throw new UserError(`${where}: missing '${closing[closing.length - 1]}' in '${text}'`);
  out.push(text.slice(start));
  return out;
}

/** The key an override sets, without its +/~ prefix. */
const keyOf = (lhs: string) => lhs.trim().replace(/^[+~]/, '');

function toNumber(arg: string, where: string): number {
  const n = Number(arg.trim());
  if (arg.trim() === '' || !Number.isFinite(n)) throw new UserError(`${where}: '${arg.trim()}' is not a number`);
  return n;
}

/** Digits after the decimal point that a number's text needs (1e-3 -> 3, 2.50 -> 2). */
function decimals(arg: string): number {
  const m = /^[+-]?\d*(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(arg.trim());
  if (!m) return 0;
  return Math.max(0, (m[1]?.length ?? 0) - Number(m[2] ?? 0));
}

/** range(stop) / range(start, stop[, step]), stop excluded, like Python's range but for floats too.
 *  Float values are computed as integers scaled by 10^decimals, so 0.1 steps never accumulate error. */
function range(args: string[], where: string): string[] {
  if (args.length < 1 || args.length > 3) throw new UserError(`${where}: expected range(stop), range(start, stop) or range(start, stop, step)`);
  const texts = args.length === 1 ? ['0', args[0]!, '1'] : [args[0]!, args[1]!, args[2] ?? '1'];
  const [start, stop, step] = texts.map((a) => toNumber(a, where)) as [number, number, number];
  if (step === 0) throw new UserError(`${where}: the step must not be 0`);
  const d = Math.max(...texts.map(decimals));
  const scale = 10 ** d;
  const exact = d <= 15 && [start, stop, step].every((v) => Math.abs(Math.round(v * scale)) < Number.MAX_SAFE_INTEGER);
  const [s, e, p] = exact ? [start, stop, step].map((v) => Math.round(v * scale)) as [number, number, number] : [start, stop, step];
  const n = Math.ceil((e - s) / p - (exact ? 0 : 1e-9));
  if (!(n > 0)) throw new UserError(`${where}: the range is empty`);
  if (n > MAX_VALUES) throw new UserError(`${where}: ${n} values is too many (at most ${MAX_VALUES})`);
  return Array.from({ length: n }, (_, i) => String(exact ? (s + i * p) / scale : start + i * step));
}

/** logspace(a, b, n): n values from a to b inclusive, evenly spaced in log (1e-9 .. 1e-1). */
function logspace(args: string[], where: string): string[] {
  if (args.length !== 3) throw new UserError(`${where}: expected logspace(start, stop, count)`);
  const [a, b, n] = args.map((x) => toNumber(x, where)) as [number, number, number];
  if (!(a > 0 && b > 0)) throw new UserError(`${where}: start and stop must be > 0`);
  if (!Number.isInteger(n) || n < 1 || n > MAX_VALUES) throw new UserError(`${where}: the count must be a whole number from 1 to ${MAX_VALUES}`);
  if (n === 1) return [String(a)];
  const [la, lb] = [Math.log10(a), Math.log10(b)];
  return Array.from({ length: n }, (_, i) => {
    if (i === 0) return String(a);
    if (i === n - 1) return String(b);
    // 12 significant digits: 10 ** -8 is 1e-8, not 1.0000000000000001e-8
    return String(Number((10 ** (la + ((lb - la) * i) / (n - 1))).toPrecision(12)));
  });
}

const globRegex = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

/** glob(pattern[, pattern...][, exclude=pattern]) over the options of the config group `key`. */
function glob(key: string, args: string[], where: string, root?: string): string[] {
  const groups = groupNames(root);
  if (!groups.includes(key)) {
    throw new UserError(`${where}: glob() picks options of a config group; '${key}' is not one (groups: ${groups.join(', ')})`);
  }
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const arg of args.map((a) => a.trim())) {
    if (arg === '') throw new UserError(`${where}: empty pattern`);
    const m = /^exclude\s*=\s*(.+)$/.exec(arg);
    (m ? exclude : include).push(globRegex(m ? m[1]!.trim() : arg));
  }
  if (include.length === 0) include.push(/^/);
  const options = groupOptions(key, root);
  const out = options.filter((o) => include.some((r) => r.test(o)) && !exclude.some((r) => r.test(o)));
  if (out.length === 0) throw new UserError(`${where}: matches no option of ${key} (options: ${options.join(', ')})`);
  return out;
}

/** The value texts of one sweep expression: a list, a function call, or one plain value. */
function expandValues(key: string, raw: string, where: string, root?: string): string[] {
  const pieces = splitTopLevel(raw, where);
  return pieces.flatMap((piece) => {
    const text = piece.trim();
    if (text === '' && pieces.length > 1) throw new UserError(`${where}: empty value in the list '${raw}' (quote text that contains commas)`);
    const call = CALL.exec(text); // a piece has no top-level comma, so a match is one whole call
    if (!call) return [text];
    const [, name, inner] = call as unknown as [string, string, string];
    const args = splitTopLevel(inner, where);
    const at = `${where}: ${name}(${inner})`;
    if (name === 'range') return range(args, at);
    if (name === 'logspace') return logspace(args, at);
    if (name === 'glob') return glob(key, args, at, root);
    if (name === 'zip') throw new UserError(`${where}: zip() is a whole override, e.g. zip(model=[irnn,lstm], optimizer.lr=[1e-2,1e-3])`);
    throw new UserError(`${where}: unknown sweep function '${name}' (known: ${FUNCTIONS.join(', ')}, zip; quote the value if it is text)`);
  });
}

/** zip(k1=[a,b], k2=[c,d]) -> rows [k1=a, k2=c], [k1=b, k2=d]. */
function parseZip(inner: string, where: string, root?: string): Item {
  const columns = splitTopLevel(inner, where).map((arg) => {
    const eq = arg.indexOf('=');
    if (eq < 0) throw new UserError(`${where}: expected key=[values] in zip(), got '${arg.trim()}'`);
    const lhs = arg.slice(0, eq).trim();
    const raw = arg.slice(eq + 1).trim();
    const list = raw.startsWith('[') && raw.endsWith(']') && splitTopLevel(raw, where).length === 1;
    const values = expandValues(keyOf(lhs), list ? raw.slice(1, -1) : raw, where, root);
    return { lhs, key: keyOf(lhs), values };
  });
  const keys = columns.map((c) => c.key);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new UserError(`${where}: ${twice} appears twice in zip()`);
  const n = columns[0]!.values.length;
  const odd = columns.find((c) => c.values.length !== n);
  if (odd) {
    throw new UserError(`${where}: zip() lists differ in length: ${columns.map((c) => `${c.key} has ${c.values.length}`).join(', ')}`);
  }
  const rows = Array.from({ length: n }, (_, i) => columns.map((c) => `${c.lhs}=${c.values[i]}`));
  return { keys, rows, swept: true };
}

function parseItem(text: string, root?: string): Item {
  const s = text.trim();
  const where = `override '${text}'`;
  const zip = /^zip\(([\s\S]*)\)$/.exec(s);
  if (zip && splitTopLevel(s, where).length === 1) return parseZip(zip[1]!, where, root);
  const eq = s.indexOf('=');
  if (eq < 0) return { keys: [keyOf(s)], rows: [[s]], swept: false };
  const lhs = s.slice(0, eq);
  const values = expandValues(keyOf(lhs), s.slice(eq + 1), where, root);
  const swept = values.length > 1 || CALL.test(s.slice(eq + 1).trim());
  return { keys: [keyOf(lhs)], rows: values.map((v) => [`${lhs}=${v}`]), swept };
}

/** True when an override uses sweep syntax (several values, range/logspace/glob, zip). */
export function isSweepOverride(text: string, root?: string): boolean {
  try {
    return parseItem(text, root).swept;
  } catch {
    return false; // not valid sweep syntax: the plain override grammar reports it
  }
}

/** A YAML value in a preset's `sweep:` as override value text. */
function valueText(v: Value): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v); // numbers, booleans, null, flow lists and mappings read back as YAML
}

/** The key of one override text (`model=lstm` -> model). */
const keyOfOverride = (o: string) => keyOf(o.includes('=') ? o.slice(0, o.indexOf('=')) : o);

/** A preset's `one_of: [grid, grid, ...]`: the jobs of each grid (a mapping or a list of
 *  expressions, as `sweep:` itself), one after the other, as one factor of the product. */
function oneOf(alternatives: Value, where: string, root?: string): Item {
  if (!Array.isArray(alternatives) || alternatives.length === 0) {
    throw new UserError(`${where}: one_of must be a list of grids (each a mapping key: values, or a list of expressions)`);
  }
  const rows = alternatives.flatMap((alt) => product(presetItems(alt, where, root)));
  const keys = [...new Set(rows.flatMap((r) => r.map(keyOfOverride)))];
  return { keys, rows, swept: rows.length > 1, union: true };
}

/** Items of a preset's `sweep:` (a mapping key -> expression, or a list of expressions; a mapping
 *  may hold `one_of`, a list of grids whose jobs are concatenated). */
function presetItems(sweep: Value, where: string, root?: string): Item[] {
  if (Array.isArray(sweep)) {
    return sweep.map((e) => {
      if (typeof e !== 'string') throw new UserError(`${where}: each entry of a sweep list must be an expression like 'model=irnn,lstm'`);
      return parseItem(e, root);
    });
  }
  if (!isMapping(sweep)) throw new UserError(`${where}: 'sweep' must be a mapping (key: values) or a list of expressions`);
  const item = (k: string, v: Value): Item => {
    if (!Array.isArray(v)) return parseItem(`${k}=${valueText(v)}`, root);
    return { keys: [keyOf(k)], rows: v.map((x) => [`${k}=${valueText(x)}`]), swept: v.length > 1 };
  };
  // In the mapping's order (the first key varies slowest); nested mappings are dotted keys.
  const items: Item[] = [];
  const walk = (m: Record<string, Value>, prefix: string) => {
    for (const [k, v] of Object.entries(m)) {
      if (prefix === '' && k === 'one_of') items.push(oneOf(v, where, root));
      else if (isMapping(v)) walk(v, `${prefix}${k}.`);
      else items.push(item(`${prefix}${k}`, v));
    }
  };
  walk(sweep, '');
  return items;
}

/** Drops the columns of `item` whose keys are in `taken` (command-line values win). A `one_of`
 *  item is kept whole: which of its rows fit a job depends on the job's values (see `fitting`). */
function without(item: Item, taken: Set<string>): Item | null {
  if (item.union) return item;
  const keep = item.keys.map((k, i) => (taken.has(k) ? -1 : i)).filter((i) => i >= 0);
  if (keep.length === 0) return null;
  const seen = new Set<string>();
  const rows = item.rows.map((r) => keep.map((i) => r[i]!)).filter((r) => !seen.has(r.join('\0')) && seen.add(r.join('\0')));
  return { keys: keep.map((i) => item.keys[i]!), rows, swept: item.swept };
}

/** The rows of a `one_of` item that set every key the job's command line gives and the item
 *  sweeps to the same value (or, for a value no row sets, leave that key alone); those overrides are left to the command line (`model=lstm` keeps
 *  only the LSTM grid, `model.forget_bias=4` only the LSTM rows with that bias). */
/** Whether a row sets the override's key to its value; numbers compare as numbers, so that
 *  `optimizer.lr=1e-3` on the command line fits a preset row that YAML read as 0.001. */
function has(row: string[], o: string): boolean {
  const [key, value] = [keyOfOverride(o), o.slice(o.indexOf('=') + 1)];
  const num = (v: string) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
  return row.some((x) => {
    if (keyOfOverride(x) !== key) return false;
    const v = x.slice(x.indexOf('=') + 1);
    return v === value || (num(v) !== null && num(v) === num(value));
  });
}

function fitting(item: Item, job: string[]): Item {
  if (!item.union) return item;
  const given = job.filter((o) => item.keys.includes(keyOfOverride(o)));
  const keys = new Set(given.map(keyOfOverride));
  // a value no row sets picks the rows that leave its key alone (the command line sets it there)
  const sets = (r: string[], key: string) => r.some((o) => keyOfOverride(o) === key);
  const fits = (r: string[], o: string) => (item.rows.some((x) => has(x, o)) ? has(r, o) : !sets(r, keyOfOverride(o)));
  const rows = item.rows
    .filter((r) => given.every((o) => fits(r, o)))
    .map((r) => r.filter((o) => !keys.has(keyOfOverride(o))));
  return { ...item, rows };
}

function product(items: Item[]): string[][] {
  let jobs: string[][] = [[]];
  for (const item of items) jobs = jobs.flatMap((job) => item.rows.map((row) => [...job, ...row]));
  return jobs;
}

function checkTwice(items: Item[]): void {
  const seen = new Map<string, boolean>();
  for (const it of items) {
    for (const k of it.keys) {
      if (seen.has(k) && (it.swept || seen.get(k))) throw new UserError(`${k}: set more than once in a sweep`);
      seen.set(k, (seen.get(k) ?? false) || it.swept);
    }
  }
}

/** Expands command-line overrides (and the experiment preset's `sweep:`) into jobs: the product of
 *  the swept keys, zip rows paired, first axis slowest. Each job is a list of plain overrides. */
export function expandSweep(opts: { overrides: string[]; root?: string }): string[][] {
  const items = opts.overrides.map((o) => parseItem(o, opts.root));
  checkTwice(items);
  const taken = new Set(items.flatMap((it) => it.keys));
  const presets = new Map<string, Item[]>();
  return product(items).flatMap((job) => {
    const experiment = job.filter((o) => keyOf(o.split('=')[0]!) === 'experiment');
    const id = experiment.join('\0');
    if (!presets.has(id)) {
      const { sweep, choices } = compose({ overrides: experiment, root: opts.root });
      const where = `experiment/${choices['experiment']}.yaml`;
      const own = sweep === null ? [] : presetItems(sweep, where, opts.root).map((it) => without(it, taken));
      presets.set(id, own.filter((it): it is Item => it !== null));
      checkTwice(presets.get(id)!);
    }
    const own = presets.get(id)!.map((it) => fitting(it, job));
    if (own.some((it) => it.rows.length === 0)) {
      throw new UserError(`[${job.join(' ')}]: matches none of the preset's one_of grids`);
    }
    return product(own).map((extra) => [...job, ...extra]);
  });
}

/** The overrides of each job that are not the same in every job: what tells the jobs apart. */
export function varyingParts(jobs: string[][]): string[][] {
  const common = jobs.length > 1 ? jobs[0]!.filter((o) => jobs.every((j) => j.includes(o))) : [];
  return jobs.map((j) => j.filter((o) => !common.includes(o)));
}
