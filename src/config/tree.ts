// Small helpers over nested plain-object configs: dotted paths, deep merge, listing leaves.
import type { Value } from './overrides.js';

export type Tree = { [k: string]: Value };

export function isMapping(v: unknown): v is Tree {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function getPath(root: Tree, path: string): { exists: boolean; value: Value } {
  let node: Value = root;
  for (const p of path.split('.')) {
    if (!isMapping(node) || !(p in node)) return { exists: false, value: null };
    node = node[p]!;
  }
  return { exists: true, value: node };
}

/** Sets a value, creating intermediate mappings. */
export function setPath(root: Tree, path: string, value: Value): void {
  const parts = path.split('.');
  let node: Tree = root;
  for (const p of parts.slice(0, -1)) {
    if (!isMapping(node[p])) node[p] = {};
    node = node[p] as Tree;
  }
  node[parts[parts.length - 1]!] = value;
}

export function deletePath(root: Tree, path: string): void {
  const parts = path.split('.');
  let node: Value = root;
  for (const p of parts.slice(0, -1)) node = (node as Tree)[p]!;
  delete (node as Tree)[parts[parts.length - 1]!];
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
  const out: Tree = structuredClone(base);
  for (const [k, v] of Object.entries(over)) {
    out[k] = isMapping(v) && isMapping(out[k]) ? merge(out[k] as Tree, v) : structuredClone(v);
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
