// Resolves ${a.b} references and ${eval:...} arithmetic (mathjs, never JavaScript eval) in a
// composed config. A string that is exactly one ${...} takes the referenced value's type.
// Cycles and references to missing keys are user errors.
import { createRequire } from 'node:module';
import { UserError } from '../util/errors.js';
import type { Value } from './overrides.js';
import { getPath, leafPaths, setPath } from './tree.js';

// mathjs takes seconds to load: it is required only when a config actually uses ${eval:...}.
const require = createRequire(import.meta.url);
let evaluate: ((expr: string) => unknown) | null = null;
const mathEvaluate = (expr: string): unknown => {
  evaluate ??= (require('mathjs') as typeof import('mathjs')).evaluate as (expr: string) => unknown;
  return evaluate(expr);
};

const INNER = /\$\{([^${}]*)\}/; // an innermost ${...}: no nested ${ inside

export function interpolate(cfg: { [k: string]: Value }): { [k: string]: Value } {
  const out = structuredClone(cfg);
  const resolving = new Set<string>();
  const done = new Set<string>();

  const resolvePath = (path: string): Value => {
    const found = getPath(out, path);
    if (!found.exists) throw new UserError(`interpolation: \${${path}} names a key that does not exist`);
    const v = found.value;
    if (typeof v !== 'string' || !v.includes('${') || done.has(path)) return v;
    if (resolving.has(path)) throw new UserError(`interpolation: \${${path}} refers to itself (cycle through ${[...resolving].join(' -> ')})`);
    resolving.add(path);
    const resolved = resolveString(v, path);
    resolving.delete(path);
    setPath(out, path, resolved);
    done.add(path);
    return resolved;
  };

  const evalExpr = (expr: string, where: string): Value => {
    try {
      const r = mathEvaluate(expr);
      if (typeof r === 'number' || typeof r === 'boolean') return r;
      if (r && typeof r === 'object' && 'toNumber' in r) return (r as { toNumber(): number }).toNumber();
      return String(r);
    } catch (e) {
      throw new UserError(`${where}: cannot evaluate \${eval:${expr}}: ${(e as Error).message}`);
    }
  };

  const resolveString = (s: string, where: string): Value => {
    let cur: Value = s;
    for (;;) {
      if (typeof cur !== 'string') return cur;
      const m = INNER.exec(cur);
      if (!m) return cur;
      const body = m[1]!.trim();
      const value = body.startsWith('eval:') ? evalExpr(body.slice(5), where) : resolvePath(body);
      if (m[0] === cur) {
        cur = value; // the whole string was one reference: keep the value's type
      } else {
        if (value !== null && typeof value === 'object') {
          throw new UserError(`${where}: \${${body}} is a ${Array.isArray(value) ? 'list' : 'mapping'} and cannot be part of a string`);
        }
        cur = cur.slice(0, m.index) + String(value) + cur.slice(m.index + m[0].length);
      }
    }
  };

  for (const path of leafPaths(out)) resolvePath(path);
  return out;
}
