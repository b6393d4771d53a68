// Small helpers over nested plain-object configs: dotted paths (a number indexes a list), deep merge,
// listing leaves. They see own properties only, and refuse the keys through which a plain object
// reaches its prototype (`__proto__`, `constructor`, `prototype`): no key touches Object.prototype.
import { UserError } from '../util/errors.js';
import type { Value } from './overrides.js';

export type Tree = { [k: string]: Value };

/** Keys that name an object's prototype machinery rather than data. */
export const RESERVED_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** Throws a user error when a key is reserved; `where` says where it came from. */
export function checkKey(key: string, where: string): void {
  if (RESERVED_KEYS.includes(key)) throw new UserError(`${where}: '${key}' cannot be a key (${RESERVED_KEYS.join(', ')} are reserved)`);
}

export function isMapping(v: unknown): v is Tree {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const own = (node: Tree, key: string): boolean => Object.hasOwn(node, key);

/** A path as its segments: `a.b.0` is ['a', 'b', '0'] (a segment that is a number indexes a list). */
const segs = (path: string | string[]): string[] => (Array.isArray(path) ? path : path.split('.'));

/** The list position a segment names, or -1 (not a whole number, or past the end). */
const index = (list: Value[], p: string): number => (/^(0|[1-9]\d*)$/.test(p) && Number(p) < list.length ? Number(p) : -1);

const outOfRange = (path: string[], list: Value[], at: number) =>
  new UserError(`${path.join('.')}: ${path[at]} is not a position in the list ${path.slice(0, at).join('.')} (it has ${list.length} item${list.length === 1 ? '' : 's'}, from 0)`);

export function getPath(root: Tree, path: string | string[]): { exists: boolean; value: Value } {
  let node: Value = root;
  for (const p of segs(path)) {
    if (Array.isArray(node)) {
      const i = index(node, p);
      if (i < 0) return { exists: false, value: null };
      node = node[i]!;
    } else if (isMapping(node) && own(node, p)) node = node[p]!;
    else return { exists: false, value: null };
  }
  return { exists: true, value: node };
}

const isContainer = (v: unknown): v is Tree | Value[] => Array.isArray(v) || isMapping(v);

/** Sets a value, creating intermediate mappings; a list is indexed, never grown. */
export function setPath(root: Tree, path: string | string[], value: Value): void {
  const parts = segs(path);
  for (const p of parts) checkKey(p, parts.join('.'));
  let node: Tree | Value[] = root;
  for (const [n, p] of parts.entries()) {
    const last = n === parts.length - 1;
    if (Array.isArray(node)) {
      const i = index(node, p);
      if (i < 0) throw outOfRange(parts, node, n);
      if (last) node[i] = value;
      else if (!isContainer(node[i])) node[i] = {};
      if (!last) node = node[i] as Tree | Value[];
    } else {
      if (last) node[p] = value;
      else if (!own(node, p) || !isContainer(node[p])) node[p] = {};
      if (!last) node = node[p] as Tree | Value[];
    }
  }
}

export function deletePath(root: Tree, path: string | string[]): void {
  const parts = segs(path);
  const parent = getPath(root, parts.slice(0, -1)).value;
  const last = parts[parts.length - 1]!;
  if (Array.isArray(parent) && index(parent, last) >= 0) parent.splice(index(parent, last), 1);
  else if (isMapping(parent) && own(parent, last)) delete parent[last];
}

/** Refuses reserved keys anywhere in a tree read from a file or the command line. */
export function checkKeys(v: unknown, where: string, prefix = ''): void {
  if (Array.isArray(v)) v.forEach((x) => checkKeys(x, where, prefix));
  else if (isMapping(v)) {
    for (const k of Object.keys(v)) {
      checkKey(k, `${where}${prefix ? ` (${prefix})` : ''}`);
      checkKeys(v[k], where, prefix ? `${prefix}.${k}` : k);
    }
  }
}

/** Dotted paths of every key, mappings included (for "did you mean" suggestions). */
export function allPaths(root: Tree, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(root)) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.push(p);
    if (isMapping(v)) out.push(...allPaths(v, p));
  }
  return out;
}

/** Dotted paths of the leaves (non-mapping values). */
export function leafPaths(root: Tree, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(root)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (isMapping(v)) out.push(...leafPaths(v, p));
    else out.push(p);
  }
  return out;
}

/** Deep merge: mappings merge key by key, anything else in `over` replaces. Returns a new tree. */
export function merge(base: Tree, over: Tree): Tree {
  checkKeys(over, 'config');
  const out: Tree = structuredClone(base);
  for (const [k, v] of Object.entries(over)) {
    out[k] = isMapping(v) && own(out, k) && isMapping(out[k]) ? merge(out[k] as Tree, v) : structuredClone(v);
  }
  return out;
}

/** JSON with sorted keys, so equal configs give equal text (and equal hashes). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isMapping(v)) {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}
