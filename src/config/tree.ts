// Small helpers over nested plain-object configs: dotted paths, deep merge, listing leaves.
// They see own properties only, and refuse the keys through which a plain object reaches its
// prototype (`__proto__`, `constructor`, `prototype`): a config key never touches Object.prototype.
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

export function getPath(root: Tree, path: string): { exists: boolean; value: Value } {
  let node: Value = root;
  for (const p of path.split('.')) {
    if (!isMapping(node) || !own(node, p)) return { exists: false, value: null };
    node = node[p]!;
  }
  return { exists: true, value: node };
}

/** Sets a value, creating intermediate mappings. */
export function setPath(root: Tree, path: string, value: Value): void {
  const parts = path.split('.');
  for (const p of parts) checkKey(p, path);
  let node: Tree = root;
  for (const p of parts.slice(0, -1)) {
    if (!own(node, p) || !isMapping(node[p])) node[p] = {};
    node = node[p] as Tree;
  }
  node[parts[parts.length - 1]!] = value;
}

export function deletePath(root: Tree, path: string): void {
  const parts = path.split('.');
  let node: Value = root;
  for (const p of parts.slice(0, -1)) {
    if (!isMapping(node) || !own(node, p)) return;
    node = node[p]!;
  }
  const last = parts[parts.length - 1]!;
  if (isMapping(node) && own(node, last)) delete node[last];
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
