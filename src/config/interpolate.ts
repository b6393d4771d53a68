// Resolves ${a.b} references and ${eval:...} arithmetic in a composed config. A string that is
// exactly one ${...} takes the referenced value's type. Cycles, references to missing keys and
// expressions that fail or give something other than a finite number, true/false or text are user
// errors. Expressions go through the restricted evaluator (util/expr.ts), never JavaScript eval.
import { compileExpression, formatValue, oneLine } from '../util/expr.js';
import { UserError } from '../util/errors.js';
import type { Value } from './overrides.js';
import { getPath, leafPaths, setPath } from './tree.js';

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
    const at = `${where}: cannot evaluate \${eval:${expr}}`;
    const code = compileExpression(expr, at);
    // The referenced values are already spliced into the text: a name left over is a typo or text
    // that needs quotes.
    if (code.names.length) throw new UserError(`${at}: unknown name '${code.names[0]}' (quote text: "${code.names[0]}")`);
    let r: unknown;
    try {
      r = code.evaluate();
    } catch (e) {
      throw new UserError(`${at}: ${oneLine(e)}`);
    }
    if (typeof r === 'number' && !Number.isFinite(r)) throw new UserError(`${at}: gives ${r}, not a finite number`);
    if (typeof r === 'number' || typeof r === 'boolean' || typeof r === 'string') return r;
    throw new UserError(`${at}: gives ${formatValue(r)}; an expression must give a number, true/false or text`);
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
