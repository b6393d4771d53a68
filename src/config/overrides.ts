// The command-line override grammar, Hydra's (grammar/: lexer, parser, functions), as plain data:
//   group=option         pick a config group option      model=lstm, experiment/paper=adding
//   +group[@pkg]=option  add a group option (at pkg)     +experiment=paper/adding, +model@teacher=gru
//   a.b=value            set a key that exists           model.hidden=128, train={steps: 5} (merges)
//   +a.b=value           add a key that does not exist   +train.note=first
//   ++a.b=value          add or set                      ++train.note=first
//   ~a.b[=value]         delete a key (or a group)       ~optimizer.clip
// Values are Hydra's: 12, 1e-3, true, null, [1, 2], {a: 1}, 'quoted, text', a\,b, plain text,
// and functions (int(10.0), sort(...)). Sweeps (a,b, range(), ...) are expanded in sweep.ts first.
import { UserError } from '../util/errors.js';
import { evaluate } from './grammar/functions.js';
import { parseOverrideText, parseValueText, type Key } from './grammar/parser.js';
import { isSweep, render, toValue, type El, type Parsed } from './grammar/values.js';
import { checkKey } from './tree.js';

export type Value = null | boolean | number | string | Value[] | { [k: string]: Value };

export interface Override {
  op: 'set' | 'add' | 'force' | 'delete';
  /** Dotted key path (`model.hidden`, `list.0`), or a group path (`model`, `experiment/paper`). */
  key: string;
  /** `group@package`: where a group option goes ('' = the top level); absent without `@`. */
  package?: string;
  value?: Value;
  /** The text as typed, kept for the run record. */
  text: string;
}

const OPS = { '': 'set', '+': 'add', '++': 'force', '~': 'delete' } as const;

/** Refuses keys that reach an object's prototype, in the path and the package. */
function checkKeyParts(key: Key, where: string): void {
  for (const part of key.path.split(/[./]/)) checkKey(part, where);
  for (const part of key.package?.split('.') ?? []) if (part) checkKey(part, where);
}

/** An override parsed and its functions evaluated: the value is an element or a sweep. */
export function parseParsed(text: string): { key: Key; value?: Parsed; text: string } {
  const p = parseOverrideText(text);
  const where = `override '${p.text}'`;
  checkKeyParts(p.key, where);
  return p.value === undefined ? { key: p.key, text: p.text } : { key: p.key, value: evaluate(p.value, where), text: p.text };
}

function sweepError(text: string, s: Parsed): UserError {
  const what = s.k === 'choice' ? `${s.simple ? 'a list of' : 'a choice of'} ${s.items.length} value${s.items.length === 1 ? '' : 's'}` : s.k === 'concat' ? 'a list of values and sweeps' : `a ${s.k}()`;
  return new UserError(
    `'${text}' is a sweep (${what}): irnn run and irnn config take one value per key; run it with irnn sweep (irnn sweep --dry-run lists its jobs), or quote a value that contains commas ('a,b')`,
  );
}

export function parseOverride(text: string): Override {
  const p = parseParsed(text);
  const base = { op: OPS[p.key.prefix], key: p.key.path, ...(p.key.package === undefined ? {} : { package: p.key.package }) };
  if (p.value === undefined) return { ...base, text: p.text };
  if (isSweep(p.value)) throw sweepError(p.text, p.value);
  return { ...base, value: toValue(p.value, `override '${p.text}'`), text: p.text };
}

/** A value text alone, as the right-hand side of an override (no sweeps). */
export function parseValue(raw: string, where: string): Value {
  const v = evaluate(parseValueText(raw.trimStart(), where), where);
  if (isSweep(v)) throw sweepError(raw, v);
  return toValue(v, where);
}

/** The element a value text reads as, or null when it is not one plain value. */
function reparse(text: string): El | null {
  try {
    const v = evaluate(parseValueText(text, ''), '');
    return isSweep(v) ? null : v;
  } catch {
    return null;
  }
}

/** Override text for a value: as typed when it was typed, else written so that it reads back the same. */
export const valueText = (el: El): string => render(el, reparse);

/** The type name used in error messages and type checks. */
export function typeOf(v: unknown): 'null' | 'boolean' | 'number' | 'string' | 'list' | 'mapping' {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  return typeof v as 'boolean' | 'number' | 'string';
}
