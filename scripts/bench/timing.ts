// Timing helpers of `npm run bench`: medians of wall-clock and process CPU time, number format.
import { median as medianOrNull } from '../../src/util/median.js';

/** The median of timings that exist (NaN for none). */
export const mid = (xs: number[]): number => medianOrNull(xs) ?? NaN;

/** Milliseconds per call: wall clock, and CPU time of this process (all its threads), which
 *  other processes on a shared machine disturb much less. */
export interface Timing {
  wall: number;
  cpu: number;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Medians of `fn` after `warmup` untimed calls. */
export function timeIt(fn: () => void, o: { warmup: number; runs: number }): Timing {
  for (let i = 0; i < o.warmup; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const [t0, c0] = [performance.now(), cpuMs()];
    fn();
    wall.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  return { wall: mid(wall), cpu: mid(cpu) };
}

/** The median of each clock over several timings of the same thing (rounds of a bench row). */
export function medianOf(ts: Timing[]): Timing {
  return { wall: mid(ts.map((t) => t.wall)), cpu: mid(ts.map((t) => t.cpu)) };
}

/** A number with `d` decimals, or '–' when absent. */
export const f1 = (x: number | undefined | null, d = 1): string =>
  x === undefined || x === null || !Number.isFinite(x) ? '–' : x.toFixed(d);
