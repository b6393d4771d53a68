// When a run ends before its last step, decided from what it has logged: a validation target met,
// no better validation metric for `train.patience` steps, a validation metric that improved by
// less than `train.plateau_min_improvement` over the last `train.plateau` fraction of the steps,
// or a loss that exploded (finite but more than `train.diverge_factor` times its first value).
// Pure functions of the history; the loop in run.ts asks them and records the answer.

export interface Goal {
  /** The validation metric that decides (valid_mse, valid_acc, valid_ppl, ...). */
  select: string;
  goal: 'min' | 'max';
}

export interface StopSettings {
  target: number | null;
  patience: number | null;
  plateau: number | null;
  plateauMinImprovement: number;
  divergeFactor: number | null;
}

/** The validation metric at each evaluation so far, in step order (what a checkpoint carries). */
export type SelectHistory = Array<[step: number, value: number]>;

export function stopSettings(train: Record<string, unknown>): StopSettings {
  const num = (k: string) => (typeof train[k] === 'number' ? (train[k] as number) : null);
  return {
    target: num('target'),
    patience: num('patience'),
    plateau: num('plateau'),
    plateauMinImprovement: num('plateau_min_improvement') ?? 0.01,
    divergeFactor: num('diverge_factor'),
  };
}

const better = (g: Goal, a: number, b: number) => (g.goal === 'min' ? a < b : a > b);

/** The best value (earliest on ties) among the evaluations at or before `upTo`. */
export function bestUpTo(h: SelectHistory, g: Goal, upTo = Infinity): { step: number; value: number } | null {
  let best: { step: number; value: number } | null = null;
  for (const [step, value] of h) {
    if (step > upTo || !Number.isFinite(value)) continue;
    if (!best || better(g, value, best.value)) best = { step, value };
  }
  return best;
}

/** Why the run should finish now, after the evaluation at `step` (the last entry of `h`), or null. */
export function earlyStop(h: SelectHistory, g: Goal, s: StopSettings, step: number): string | null {
  const last = h[h.length - 1];
  if (!last) return null;
  const fmt = (v: number) => Number(v.toPrecision(4)).toString();
  if (s.target !== null && Number.isFinite(last[1]) && (g.goal === 'min' ? last[1] <= s.target : last[1] >= s.target)) {
    return `target: ${g.select} ${fmt(last[1])} reached ${fmt(s.target)} at step ${step}`;
  }
  const best = bestUpTo(h, g);
  if (s.patience !== null && best && step - best.step >= s.patience) {
    return `patience: no better ${g.select} for ${step - best.step} steps (best ${fmt(best.value)} at step ${best.step})`;
  }
  if (s.plateau !== null && best) {
    const from = Math.floor(step * (1 - s.plateau));
    const before = bestUpTo(h, g, from);
    // Only once an evaluation after step 0 lies in the earlier part: a first window says nothing.
    if (before && h.some(([at]) => at > 0 && at <= from)) {
      const gain = (g.goal === 'min' ? before.value - best.value : best.value - before.value) / Math.abs(before.value);
      if (gain < s.plateauMinImprovement) {
        return `plateau: ${g.select} improved by ${(100 * gain).toFixed(2)}% over the last ${Math.round(100 * s.plateau)}% of the steps (${fmt(before.value)} by step ${from}, ${fmt(best.value)} by step ${step}), less than ${100 * s.plateauMinImprovement}%`;
      }
    }
  }
  return null;
}

/** Why a finite value counts as an explosion: more than `factor` times the first value (both
 *  taken as magnitudes), or null. */
export function exploded(value: number, first: number | null, factor: number | null, what: string): string | null {
  if (factor === null || first === null || !Number.isFinite(value) || !Number.isFinite(first) || first === 0) return null;
  if (Math.abs(value) <= factor * Math.abs(first)) return null;
  return `${what} ${value.toPrecision(3)} is more than ${factor.toExponential(0)} times its first value ${first.toPrecision(3)}`;
}
