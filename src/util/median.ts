// The median of a list of numbers, shared by the trainer (milliseconds per step), the report's
// speed section and the benchmark script.

/** The median of the finite values (the mean of the middle two for an even count); null when
 *  there are none. */
export function median(values: number[]): number | null {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
}
