// Expands sweeps into jobs, as Hydra's basic sweeper does: `k=a,b`, choice(), range(), glob() over a
// config group's options (and sort/shuffle/tag/casts of them), this project's logspace() and
// zip(k1=[..], k2=[..]) of paired values, and an experiment preset's own `sweep:`. Each job is a
// list of plain overrides for composeConfig. Composes nothing beyond reading a preset; runs nothing.
import { UserError } from '../util/errors.js';
import { compose, EXPERIMENTS_DIR, groupNames, groupOptions } from './compose.js';
import { groupOf } from './defaults.js';
import { sweepValues } from './grammar/sweeps.js';
import type { Key } from './grammar/parser.js';
import { fromValue, isSweep, toValue, type El, type Parsed } from './grammar/values.js';
import { parseParsed, valueText, type Value } from './overrides.js';
import { canonicalJson, isMapping } from './tree.js';

/** One factor of the product: the keys it sets and its rows (one override string per key; the
 *  rows of a preset's `one_of` may set different subsets of `keys`, marked `union`). */
interface Item {
  keys: string[];
  rows: string[][];
  swept: boolean;
  union?: boolean;
}

// The same override texts are read again and again while a preset's one_of rows are matched.
const cache = new Map<string, ReturnType<typeof parseParsed>>();
function parsed(text: string): ReturnType<typeof parseParsed> {
  let p = cache.get(text);
  if (!p) {
    p = parseParsed(text);
    if (cache.size > 10_000) cache.clear();
    cache.set(text, p);
  }
  return p;
}

/** What an override sets, without its +/++/~: the config path, or the group (`experiment/paper`
 *  and `experiment` are one slot), with its @package. */
const keyId = (k: Key): string => `${k.path.split('/')[0]}${k.package === undefined ? '' : `@${k.package}`}`;

/** The key of one override text (`model=lstm` -> model). */
const keyOfOverride = (o: string): string => keyId(parsed(o).key);

const isZip = (s: string) => /^zip\s*\(/.test(s);

/** Splits at commas outside quotes, brackets and backslash escapes; unbalanced text is a user error. */
function splitArgs(text: string, where: string): string[] {
  const out: string[] = [];
  const closing: string[] = [];
  const pairs: Record<string, string> = { '[': ']', '{': '}', '(': ')' };
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') i++;
    else if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (pairs[c]) closing.push(pairs[c]!);
    else if (c === ']' || c === '}' || c === ')') {
      if (closing.pop() !== c) throw new UserError(`${where}: unbalanced '${c}' in '${text}'`);
    } else if (c === ',' && closing.length === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quote) throw new UserError(`${where}: unclosed quote ${quote} in '${text}'`);
  if (closing.length) throw new UserError(`${where}: missing '${closing[closing.length - 1]}' in '${text}'`);
  out.push(text.slice(start));
  return out;
}

/** The values a sweep stands for; glob() reads the options of the group the key names. */
function valuesOf(v: Parsed, key: Key, where: string, root?: string): El[] {
  if (!isSweep(v)) return [v];
  const options = () => {
    const groups = groupNames(root);
    if (!groupOf(key.path, groups, root ?? EXPERIMENTS_DIR)) {
      throw new UserError(`${where}: glob() picks options of a config group; '${key.path}' is not one (groups: ${groups.join(', ')})`);
    }
    return groupOptions(key.path, root);
  };
  const out = sweepValues(v, where, options);
  if (v.k === 'glob' && out.length === 0) {
    throw new UserError(`${where}: glob() matches no option of ${key.path} (options: ${groupOptions(key.path, root).join(', ')})`);
  }
  return out;
}

/** zip(k1=[a,b], k2=[c,d]) -> rows [k1=a, k2=c], [k1=b, k2=d]; a column may be a sweep too. */
function parseZip(s: string, where: string, root?: string): Item {
  const inner = s.slice(s.indexOf('(') + 1);
  if (splitArgs(s, where).length !== 1 || !inner.endsWith(')')) throw new UserError(`${where}: zip() is a whole override, e.g. zip(model=[irnn,lstm], optimizer.lr=[1e-2,1e-3])`);
  const columns = splitArgs(inner.slice(0, -1), where).map((arg) => {
    if (!arg.includes('=')) throw new UserError(`${where}: expected key=[values] in zip(), got '${arg.trim()}'`);
    const p = parsed(arg.trimStart());
    const v = p.value!;
    return { lhs: p.key.text, key: keyId(p.key), values: v.k === 'list' ? v.items : valuesOf(v, p.key, where, root) };
  });
  const keys = columns.map((c) => c.key);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new UserError(`${where}: ${twice} appears twice in zip()`);
  const n = columns[0]!.values.length;
  const odd = columns.find((c) => c.values.length !== n);
  if (odd) {
    throw new UserError(`${where}: zip() lists differ in length: ${columns.map((c) => `${c.key} has ${c.values.length}`).join(', ')}`);
  }
  const rows = Array.from({ length: n }, (_, i) => columns.map((c) => `${c.lhs}=${valueText(c.values[i]!)}`));
  return { keys, rows, swept: true };
}

function parseItem(text: string, root?: string): Item {
  const s = text.trimStart();
  const where = `override '${s}'`;
  if (isZip(s)) return parseZip(s, where, root);
  const p = parsed(s);
  const keys = [keyId(p.key)];
  if (p.value === undefined) return { keys, rows: [[s]], swept: false };
  if (!isSweep(p.value)) {
    // a value made by a function (a cast, sort, shuffle) is written out once, so every job has the same
    return { keys, rows: [[p.value.src !== undefined ? s : `${p.key.text}=${valueText(p.value)}`]], swept: false };
  }
  const rows = valuesOf(p.value, p.key, where, root).map((el) => [`${p.key.text}=${valueText(el)}`]);
  return { keys, rows, swept: true };
}

/** True when an override uses sweep syntax (a,b, choice(), range(), glob(), ..., zip()). */
export function isSweepOverride(text: string): boolean {
  if (isZip(text.trim())) return true;
  try {
    const v = parsed(text).value;
    return v !== undefined && isSweep(v);
  } catch {
    return false; // not valid syntax: the plain override grammar reports it
  }
}

/** A YAML value in a preset's `sweep:` as override value text (text is a sweep expression). */
const presetText = (v: Value): string => (typeof v === 'string' ? v : valueText(fromValue(v)));

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
    if (!Array.isArray(v)) return parseItem(`${k}=${presetText(v)}`, root);
    return { keys: [keyOfOverride(`${k}=null`)], rows: v.map((x) => [`${k}=${valueText(fromValue(x))}`]), swept: v.length > 1 };
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

/** Whether a row sets the override's key to its value, compared as values: `optimizer.lr=1e-3`
 *  on the command line fits a preset row that YAML read as 0.001. */
function has(row: string[], o: string): boolean {
  const want = parsed(o);
  const same = (x: string) => {
    const got = parsed(x);
    if (keyId(got.key) !== keyId(want.key)) return false;
    const [a, b] = [got.value, want.value];
    if (a === undefined || b === undefined || isSweep(a) || isSweep(b)) return x === o;
    return canonicalJson(toValue(a, '')) === canonicalJson(toValue(b, ''));
  };
  return row.some(same);
}

/** The rows of a `one_of` item that set every key the job's command line gives and the item
 *  sweeps to the same value (or, for a value no row sets, leave that key alone); those overrides
 *  are left to the command line (`model=lstm` keeps only the LSTM grid, `model.forget_bias=4`
 *  only the LSTM rows with that bias). */
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
    const experiment = job.filter((o) => keyOfOverride(o) === 'experiment');
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
