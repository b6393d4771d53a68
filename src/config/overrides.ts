// The command-line override grammar (Hydra style), parsed into plain data:
//   group=option   pick a config group option    model=lstm, +experiment=paper/adding
//   a.b=value      set a key that exists          model.hidden=128
//   +a.b=value     add a key that does not exist  +train.note=first
//   ~a.b           delete a key                   ~optimizer.clip
// Values are typed as YAML flow scalars: 12, 1e-3, true, null, [1, 2], 'quoted, text', plain text.
// Sweep syntax (a,b / range() / glob() ...) is expanded before this, in sweep.ts.
import { parse as parseYaml } from 'yaml';
import { UserError } from '../util/errors.js';
import { checkKey, checkKeys } from './tree.js';

export type Value = null | boolean | number | string | Value[] | { [k: string]: Value };

export interface Override {
  op: 'set' | 'add' | 'delete';
  /** Dotted key path, e.g. "model.hidden". */
  key: string;
  value?: Value;
  /** The text as typed, kept for the run record. */
  text: string;
}

const KEY = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;

/** Parses a value the way Hydra does: YAML flow syntax, plain words stay strings. */
export function parseValue(raw: string, where: string): Value {
  const trimmed = raw.trim();
  if (trimmed === '') return '';
  let v: unknown;
  try {
    v = parseYaml(trimmed, { schema: 'core' }) as unknown;
  } catch {
    throw new UserError(`${where}: cannot parse the value '${raw}' (quote it if it is text)`);
  }
  if (v === undefined) return trimmed;
  checkKeys(v, where);
  return v as Value;
}

export function parseOverride(text: string): Override {
  const s = text.trim();
  let op: Override['op'] = 'set';
  let body = s;
  if (s.startsWith('++')) {
    throw new UserError(`override '${text}': '++' is not supported; use 'key=value' to set or '+key=value' to add`);
  } else if (s.startsWith('+')) {
    op = 'add';
    body = s.slice(1);
  } else if (s.startsWith('~')) {
    op = 'delete';
    body = s.slice(1);
  }
  const eq = body.indexOf('=');
  const key = (eq < 0 ? body : body.slice(0, eq)).trim();
  if (!KEY.test(key)) {
    throw new UserError(`override '${text}': '${key}' is not a valid key (expected e.g. model.hidden=128)`);
  }
  for (const part of key.split('.')) checkKey(part, `override '${text}'`);
  if (op === 'delete') {
    return eq < 0 ? { op, key, text } : { op, key, value: parseValue(body.slice(eq + 1), key), text };
  }
  if (eq < 0) {
    throw new UserError(`override '${text}': missing '=' (expected ${key}=VALUE, +${key}=VALUE or ~${key})`);
  }
  return { op, key, value: parseValue(body.slice(eq + 1), key), text };
}

/** The type name used in error messages and type checks. */
export function typeOf(v: unknown): 'null' | 'boolean' | 'number' | 'string' | 'list' | 'mapping' {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  return typeof v as 'boolean' | 'number' | 'string';
}
