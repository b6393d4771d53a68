// Hydra's casts int(), float(), str(), bool(): scalars as Python converts them (Hydra's own rule
// for text to bool), lists and dictionaries element by element, a choice value by value, a range
// or an interval by its bounds. One failing element fails the cast, naming it.
import { fail, float, int, kindOf, pyFloat, type El, type Parsed } from './values.js';

export type CastName = 'int' | 'float' | 'str' | 'bool';

const PY_INT = /^\s*[+-]?\d(?:_?\d)*\s*$/;
const PY_FLOAT = /^\s*[+-]?(?:(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.|inf|infinity|nan)\s*$/i;

function fromText(s: string, to: CastName, where: string): El {
  if (to === 'int') {
    if (!PY_INT.test(s)) fail(where, `int(): '${s}' is not a whole number`);
    return int(Number(s.replace(/_/g, '')));
  }
  if (to === 'float') {
    if (!PY_FLOAT.test(s)) fail(where, `float(): '${s}' is not a number`);
    const t = s.trim().toLowerCase().replace(/_/g, '');
    const special = /^([+-]?)(inf|infinity|nan)$/.exec(t);
    return float(special ? (special[2] === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity) : Number(t));
  }
  if (to === 'bool') {
    if (!/^(true|false)$/i.test(s)) fail(where, `bool(): cannot cast '${s}' to bool (only true or false, in any case)`);
    return { k: 'bool', v: s.toLowerCase() === 'true' };
  }
  return { k: 'str', v: s };
}

function scalar(el: El, to: CastName, where: string): El {
  switch (el.k) {
    case 'str':
      return fromText(el.v, to, where);
    case 'bool':
      return to === 'str' ? { k: 'str', v: String(el.v) } : to === 'bool' ? { k: 'bool', v: el.v } : to === 'int' ? int(Number(el.v)) : float(Number(el.v));
    case 'int':
    case 'float':
      if (to === 'float') return float(el.v);
      if (to === 'bool') return { k: 'bool', v: el.v !== 0 };
      if (to === 'str') return { k: 'str', v: el.k === 'int' ? String(el.v) : pyFloat(el.v) };
      if (!Number.isFinite(el.v)) fail(where, `int(): cannot convert ${pyFloat(el.v)} to a whole number`);
      return int(Math.trunc(el.v) || 0);
    default:
      return fail(where, `${to}() cannot cast ${kindOf(el)}`);
  }
}

/** `to`(value), recursively. */
export function cast(p: Parsed, to: CastName, where: string): Parsed {
  const each = (el: El): El => {
    const out = cast(el, to, where);
    return out as El;
  };
  switch (p.k) {
    case 'list':
      return { k: 'list', items: p.items.map(each) };
    case 'dict':
      return { k: 'dict', entries: p.entries.map(([k, v]) => [k, each(v)]) };
    case 'choice':
      return { ...p, items: p.items.map(each) };
    case 'range': {
      if (to !== 'int' && to !== 'float') fail(where, `a range can only be cast to int or float, not ${to}`);
      const bound = (n: El) => scalar(n, to, where) as Extract<El, { k: 'int' | 'float' }>;
      return { ...p, start: bound(p.start), stop: bound(p.stop), step: bound(p.step) };
    }
    case 'interval': {
      if (to !== 'int' && to !== 'float') fail(where, `an interval cannot be cast to ${to}`);
      const bound = (n: El) => scalar(n, to, where) as Extract<El, { k: 'int' | 'float' }>;
      return { ...p, start: bound(p.start), end: bound(p.end) };
    }
    case 'glob':
    case 'concat':
      return fail(where, `${to}() cannot cast ${kindOf(p)}`);
    default:
      return scalar(p, to, where);
  }
}
