// What an override value is once parsed, before it becomes plain config data: Hydra's element
// types (int and float kept apart, a quoted string marked), its sweeps, and the way back to text
// (a sweep's jobs are override strings, parsed again by each job). Also Python's float text
// (`str(1e6)` is '1000000.0') and exact decimal steps for float ranges. Evaluates nothing.
import { UserError } from '../../util/errors.js';
import { checkKey } from '../tree.js';
import type { Value } from '../overrides.js';

/** One value; `src` is its text as typed, kept so that a sweep's jobs read as the user wrote them. */
export type El =
  | { k: 'null'; src?: string }
  | { k: 'bool'; v: boolean; src?: string }
  | { k: 'int' | 'float'; v: number; src?: string }
  | { k: 'str'; v: string; quoted?: boolean; src?: string }
  | { k: 'list'; items: El[]; src?: string }
  | { k: 'dict'; entries: Array<[string, El]>; src?: string };

export type Num = Extract<El, { k: 'int' | 'float' }>;

interface Marks {
  tags?: string[];
  shuffle?: boolean;
}

/** Hydra's sweeps: choice (`a,b` is its simple form), range, interval, glob over a config group;
 *  and `concat`, this project's `a,range(...)`: a list whose parts may be sweeps. */
export type Sweep =
  | ({ k: 'choice'; items: El[]; simple: boolean } & Marks)
  | { k: 'concat'; parts: Parsed[] }
  | ({ k: 'range'; start: Num; stop: Num; step: Num } & Marks)
  | ({ k: 'interval'; start: Num; end: Num } & Marks)
  | { k: 'glob'; include: string[]; exclude: string[] };

export type Parsed = El | Sweep;

export const SWEEPS = ['choice', 'range', 'interval', 'glob', 'concat'] as const;
export const isSweep = (p: Parsed): p is Sweep => (SWEEPS as readonly string[]).includes(p.k);

export const int = (v: number): Num => ({ k: 'int', v });
export const float = (v: number): Num => ({ k: 'float', v });
export const str = (v: string): El => ({ k: 'str', v });

/** Python's repr of a float: shortest digits, '.0' on whole numbers, exponent outside 1e-4..1e16. */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const [mantissa, e] = Math.abs(v).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(e);
  const sign = v < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const rest = digits.slice(1);
    return `${sign}${digits[0]}${rest ? `.${rest}` : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  return `${sign}${whole}.${digits.slice(exp + 1) || '0'}`;
}

/** An exact decimal m x 10^e, made from a number's shortest text (what Python's Decimal(str(x)) does). */
export interface Dec {
  m: bigint;
  e: number;
}

export function dec(v: number): Dec {
  const [mantissa, e] = v.toExponential().split('e') as [string, string];
  const [whole, frac = ''] = mantissa.split('.') as [string, string?];
  return { m: BigInt(whole + frac), e: Number(e) - frac.length };
}

const align = (a: Dec, b: Dec): [bigint, bigint, number] => {
  const e = Math.min(a.e, b.e);
  return [a.m * 10n ** BigInt(a.e - e), b.m * 10n ** BigInt(b.e - e), e];
};
export const decAdd = (a: Dec, b: Dec): Dec => {
  const [x, y, e] = align(a, b);
  return { m: x + y, e };
};
export const decMul = (a: Dec, n: bigint): Dec => ({ m: a.m * n, e: a.e });
export const decCmp = (a: Dec, b: Dec): number => {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
};
export const decNumber = (d: Dec): number => Number(`${d.m}e${d.e}`);

/** The characters Hydra escapes with a backslash in an unquoted value (its `_ESC`). */
const SPECIAL = /[\\()[\]{}:=, \t]/g;
export const escapeSpecial = (s: string): string => s.replace(SPECIAL, (c) => `\\${c}`);

/** A quoted string as Hydra writes one back: quotes escaped, and the backslashes before a quote doubled. */
function quote(s: string): string {
  const body = `${s}'`.replace(/(\\*)'/g, (_m, bs: string) => `${bs}${bs}\\'`);
  return `'${body.slice(0, -2)}'`;
}

/** Text that parses back to `el`. `reparse` reads a value text, to check an unquoted string reads
 *  as the same string (passed in, so that this module does not depend on the parser). */
export function render(el: El, reparse: (text: string) => El | null): string {
  if (el.src !== undefined) return el.src;
  switch (el.k) {
    case 'null':
      return 'null';
    case 'bool':
      return String(el.v);
    case 'int':
      return String(el.v);
    case 'float': {
      const t = Number.isFinite(el.v) ? String(el.v) : pyFloat(el.v);
      return /[.eEna]/.test(t) ? t : `${t}.0`;
    }
    case 'str': {
      const plain = escapeSpecial(el.v);
      const back = el.v === '' ? null : reparse(plain);
      return back?.k === 'str' && back.v === el.v ? plain : quote(el.v);
    }
    case 'list':
      return `[${el.items.map((x) => render(x, reparse)).join(',')}]`;
    case 'dict':
      return `{${el.entries.map(([k, v]) => `${escapeSpecial(k)}:${render(v, reparse)}`).join(',')}}`;
  }
}

/** The plain config value of an element (dictionary keys are text; reserved keys and keys with a
 *  '.', which no dotted path could reach, are refused). */
export function toValue(el: El, where: string): Value {
  switch (el.k) {
    case 'null':
      return null;
    case 'list':
      return el.items.map((x) => toValue(x, where));
    case 'dict': {
      const out: { [k: string]: Value } = {};
      for (const [k, v] of el.entries) {
        checkKey(k, where);
        if (k.includes('.')) fail(where, `the dictionary key '${k}' contains '.', which separates keys in a path here; nest it instead: {${k.split('.')[0]}: {${k.split('.').slice(1).join('.')}: ...}}`);
        out[k] = toValue(v, where);
      }
      return out;
    }
    default:
      return el.v;
  }
}

/** An element from a plain value (a preset's YAML): whole numbers are ints, text is text. */
export function fromValue(v: Value): El {
  if (v === null) return { k: 'null' };
  if (typeof v === 'boolean') return { k: 'bool', v };
  if (typeof v === 'number') return Number.isSafeInteger(v) ? int(v) : float(v);
  if (typeof v === 'string') return str(v);
  if (Array.isArray(v)) return { k: 'list', items: v.map(fromValue) };
  return { k: 'dict', entries: Object.entries(v).map(([k, x]) => [k, fromValue(x)]) };
}

/** The type name Hydra's messages use. */
export function kindOf(p: Parsed): string {
  const names: Record<string, string> = {
    str: 'text', int: 'a whole number', float: 'a number', bool: 'true/false', null: 'null', list: 'a list', dict: 'a dictionary', concat: 'a list of values and sweeps',
  };
  return names[p.k] ?? `a ${p.k}() sweep`;
}

export function fail(where: string, message: string): never {
  throw new UserError(`${where}: ${message}`);
}
