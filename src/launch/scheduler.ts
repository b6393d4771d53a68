// Sweep schedulers (`sweep.scheduler`): whether a running job goes on when it reaches a rung, and
// which paused job to promote when a worker is free. `grid` has no rungs: every job runs to its
// end. `asha` is asynchronous successive halving (Li et al. 2018, "A System for Massively Parallel
// Hyperparameter Tuning"; as in Ray Tune's ASHA and Optuna's SuccessiveHalvingPruner): rungs at
// grace * eta^k steps; a job goes on from a rung while it ranks among the best max(1, floor(n/eta))
// of the n jobs that reached it, and is otherwise paused (`pruned`, with a checkpoint); a paused job
// whose rank later comes into that top (as more jobs report) is promoted and continues from its
// checkpoint. Plain bookkeeping: no I/O, no processes.
import type { Config } from '../config/index.js';
import { fmtNum } from '../cli/format.js';

export interface SchedulerSettings {
  scheduler: keyof typeof SCHEDULERS;
  grace: number;
  reductionFactor: number;
}

/** A job's score at a rung: the ranked metric (null when it logged none) and which way is better. */
export interface RungScore {
  idx: number;
  rung: number;
  metric: string;
  value: number | null;
  goal: 'min' | 'max';
}

export interface Scheduler {
  /** The steps at which a job of `steps` steps reports (none for grid). */
  rungs(steps: number): number[];
  /** A job reached a rung: null = it goes on; otherwise why it is paused. */
  atRung(s: RungScore): string | null;
  /** A score known from before (a finished run, or a sweep being resumed), paused or gone on. */
  record(s: RungScore, paused: boolean): void;
  /** A paused job now in its rung's top, highest rung first (marked as promoted); null if none. */
  promote(): number | null;
  /** A job told to pause that ended otherwise (its worker died first): it waits for no promotion. */
  drop(idx: number): void;
  /** Promotions may still come while jobs run, so idle workers wait instead of leaving. */
  readonly promotes: boolean;
}

/** The sweep settings of a composed config (a stored run from before they existed: grid). */
export function schedulerSettings(cfg: Config): SchedulerSettings {
  const s = (cfg['sweep'] ?? {}) as { scheduler?: SchedulerSettings['scheduler']; grace?: number; reduction_factor?: number };
  return { scheduler: s.scheduler ?? 'grid', grace: s.grace ?? 500, reductionFactor: s.reduction_factor ?? 3 };
}

const better = (goal: 'min' | 'max', a: number | null, b: number | null): boolean =>
  a !== null && Number.isFinite(a) && (b === null || !Number.isFinite(b) || (goal === 'min' ? a < b : a > b));

class Asha implements Scheduler {
  readonly promotes = true;
  /** rung -> job -> score */
  private scores = new Map<number, Map<number, RungScore>>();
  /** job -> the rung it is paused at */
  private paused = new Map<number, number>();

  constructor(private readonly s: SchedulerSettings) {}

  rungs(steps: number): number[] {
    const out: number[] = [];
    for (let r = this.s.grace; r < steps; r *= this.s.reductionFactor) out.push(r);
    return out;
  }

  /** 0-based rank of a job at its rung (jobs strictly better come first), the number of jobs
   *  that reached the rung, and how many of them go on. */
  private standing(idx: number, rung: number): { rank: number; n: number; top: number } {
    const at = this.scores.get(rung)!;
    const me = at.get(idx)!;
    const rank = [...at.values()].filter((o) => o.idx !== idx && better(me.goal, o.value, me.value)).length;
    return { rank, n: at.size, top: Math.max(1, Math.floor(at.size / this.s.reductionFactor)) };
  }

  record(s: RungScore, paused: boolean): void {
    if (!this.scores.has(s.rung)) this.scores.set(s.rung, new Map());
    this.scores.get(s.rung)!.set(s.idx, s);
    if (paused) this.paused.set(s.idx, s.rung);
    else if (this.paused.get(s.idx) === s.rung) this.paused.delete(s.idx);
  }

  atRung(s: RungScore): string | null {
    this.record(s, false);
    const { rank, n, top } = this.standing(s.idx, s.rung);
    if (rank < top && s.value !== null && Number.isFinite(s.value)) return null;
    this.paused.set(s.idx, s.rung);
    const what = s.value === null ? `no ${s.metric} logged` : `${s.metric} ${fmtNum(s.value)}`;
    return `${what} at step ${s.rung} ranks ${rank + 1} of ${n}; the best ${top} go on (1/${this.s.reductionFactor})`;
  }

  drop(idx: number): void {
    this.paused.delete(idx);
  }

  promote(): number | null {
    const waiting = [...this.paused.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    for (const [idx, rung] of waiting) {
      const { rank, top } = this.standing(idx, rung);
      const v = this.scores.get(rung)!.get(idx)!.value;
      if (rank < top && v !== null && Number.isFinite(v)) {
        this.paused.delete(idx);
        return idx;
      }
    }
    return null;
  }
}

const grid: Scheduler = { rungs: () => [], atRung: () => null, record: () => {}, promote: () => null, drop: () => {}, promotes: false };

export const SCHEDULERS = {
  grid: () => grid,
  asha: (s: SchedulerSettings) => new Asha(s),
} satisfies Record<string, (s: SchedulerSettings) => Scheduler>;

export function makeScheduler(s: SchedulerSettings): Scheduler {
  return SCHEDULERS[s.scheduler](s);
}

/** The metric a scheduler ranks runs on: the task's validation metric (`select` when the task
 *  names it, else the test metric's validation twin, test_mse -> valid_mse). */
export function selectMetric(main: { name: string; select?: string }): string {
  return main.select ?? main.name.replace(/^test_/, 'valid_');
}

/** The score of one evaluation: the validation metric, or the main metric when the task logs no
 *  validation metric (the adding task before it had a validation split). */
export function rungValue(main: { name: string; goal: 'min' | 'max'; select?: string }, metrics: Record<string, number | null>): { metric: string; value: number | null; goal: 'min' | 'max' } {
  const select = selectMetric(main);
  const metric = select in metrics ? select : main.name;
  return { metric, value: metrics[metric] ?? null, goal: main.goal };
}
