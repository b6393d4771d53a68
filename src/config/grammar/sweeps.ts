// The values a sweep stands for. Hydra's range(start, stop, step): whole numbers like Python's
// range, floats with exact decimal steps (range(0,1,0.1) gives 0.3, not 0.30000000000000004), stop
// excluded; sort() reverses one as Hydra does. glob() matches like Python's fnmatch; logspace() is
// this project's own grid; interval() has no values to list. Nothing here parses.
import { dec, decAdd, decCmp, decMul, decNumber, fail, float, int, isSweep, type Dec, type El, type Num, type Sweep } from './values.js';

export const MAX_VALUES = 100_000;

type Range = Extract<Sweep, { k: 'range' }>;

const allInts = (r: Range) => r.start.k === 'int' && r.stop.k === 'int' && r.step.k === 'int';

function decs(r: Range, where: string): [Dec, Dec, Dec] {
  const nums = [r.start, r.stop, r.step];
  if (!nums.every((n) => Number.isFinite(n.v))) fail(where, 'range() needs finite numbers');
  return nums.map((n) => dec(n.v)) as [Dec, Dec, Dec];
}

/** How many values a range has (Python's len(range(...)), or Hydra's count for floats). */
function count(r: Range, where: string): number {
  if (r.step.v === 0) fail(where, 'the step must not be 0');
  if (allInts(r)) return Math.max(0, Math.ceil((r.stop.v - r.start.v) / r.step.v));
  const [start, stop, step] = decs(r, where);
  const up = step.m > 0n;
  const [a, b] = up ? [start, stop] : [stop, start];
  if (decCmp(a, b) >= 0) return 0;
  const distance = decAdd(b, decMul(a, -1n));
  const size = up ? step : decMul(step, -1n);
  const e = Math.min(distance.e, size.e);
  const d = distance.m * 10n ** BigInt(distance.e - e);
  const s = size.m * 10n ** BigInt(size.e - e);
  return Number((d + s - 1n) / s);
}

/** The values of a range, in order (shuffled when marked so); an empty range is an error. */
export function rangeValues(r: Range, where: string): Num[] {
  const n = count(r, where);
  if (n === 0) fail(where, 'the range is empty (a sweep needs at least one value)');
  if (n > MAX_VALUES) fail(where, `${n} values is too many (at most ${MAX_VALUES})`);
  let out: Num[];
  if (allInts(r)) out = Array.from({ length: n }, (_, i) => int(r.start.v + i * r.step.v));
  else {
    const [start, , step] = decs(r, where);
    out = Array.from({ length: n }, (_, i) => float(decNumber(decAdd(start, decMul(step, BigInt(i))))));
  }
  return r.shuffle ? shuffled(out) : out;
}

/** The same values in the other order (Hydra's _reverse_range_sweep; float stops fall half a step beyond). */
export function reverseRange(r: Range, where: string): Range {
  const n = count(r, where);
  if (n <= 1) return r;
  if (allInts(r)) {
    const last = r.start.v + (n - 1) * r.step.v;
    return { ...r, start: int(last), step: int(-r.step.v), stop: int(r.start.v - r.step.v) };
  }
  const [start, , step] = decs(r, where);
  const last = decAdd(start, decMul(step, BigInt(n - 1)));
  const half = { m: -step.m * 5n, e: step.e - 1 };
  return { ...r, start: float(decNumber(last)), step: float(-r.step.v), stop: float(decNumber(decAdd(start, half))) };
}

/** A copy in random order (Fisher-Yates), as Hydra's shuffle() gives. */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** logspace(start, stop, num): num values from start to stop inclusive, evenly spaced in log
 *  (logspace(1e-9,1e-1,9) is 1e-9 ... 1e-1); 12 significant digits, so 10 ** -8 is 1e-8. */
export function logspace(start: Num, stop: Num, num: Num, where: string): Num[] {
  const [a, b, n] = [start.v, stop.v, num.v];
  if (!(a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b))) fail(where, 'start and stop must be > 0');
  if (!Number.isInteger(n) || n < 1 || n > MAX_VALUES) fail(where, `the count must be a whole number from 1 to ${MAX_VALUES}`);
  if (n === 1) return [float(a)];
  const [la, lb] = [Math.log10(a), Math.log10(b)];
  return Array.from({ length: n }, (_, i) => {
    if (i === 0) return float(a);
    if (i === n - 1) return float(b);
    return float(Number((10 ** (la + ((lb - la) * i) / (n - 1))).toPrecision(12)));
  });
}

/** Python's fnmatch: * any text, ? one character, [abc] / [!abc] one of / none of. */
function fnmatch(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    let close = -1;
    if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      close = pattern.indexOf(']', j);
    }
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (close > 0) {
      const body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!');
      re += `[${negate ? '^' : ''}${(negate ? body.slice(1) : body).replace(/[\\\]^[]/g, '\\$&')}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** The values a sweep stands for, in order; `options` lists a config group's options for glob(). */
export function sweepValues(s: Sweep, where: string, options: () => string[]): El[] {
  switch (s.k) {
    case 'choice':
      return s.shuffle ? shuffled(s.items) : s.items;
    case 'range':
      return rangeValues(s, where);
    case 'glob': {
      const [inc, exc] = [s.include.map(fnmatch), s.exclude.map(fnmatch)];
      const all = options();
      return all.filter((o) => inc.some((r) => r.test(o)) && !exc.some((r) => r.test(o))).map((o) => ({ k: 'str', v: o }));
    }
    case 'concat':
      return s.parts.flatMap((p) => (isSweep(p) ? sweepValues(p, where, options) : [p]));
    case 'interval':
      return fail(where, 'interval() is a continuous range that only a sampling sweeper draws from, and irnn sweep enumerates its jobs (grid or asha): give values instead, e.g. range(...), logspace(...) or a,b,c');
  }
}
