// Statistics over seeds: mean, sample standard deviation and n of the final main metric (mathjs),
// run counts by outcome, the best setting per model by the task's goal, learning-curve bands and
// speed medians. Plain data in, plain data out; nothing here reads the store or draws.
import type { RunRecord } from '../store/runs.js';
import type { History, ModelGroup, SettingGroup } from './queries.js';
import type { TaskMeta } from './metrics.js';
import { math } from './math.js';
import { median } from '../util/median.js';
import { engineLabel } from './provenance.js';

export interface Summary {
  mean: number;
  /** Sample standard deviation (n - 1); null for a single run. */
  std: number | null;
  n: number;
}

export function summarize(values: number[]): Summary | null {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) return null;
  return { mean: Number(math.mean(xs)), std: xs.length > 1 ? Number(math.std(xs)) : null, n: xs.length };
}

export interface SettingStats {
  model: string;
  setting: SettingGroup;
  /** Over the finished runs with a result: the validation metric at each run's best validation
   *  evaluation (what ranks settings), and the test metric at that same evaluation (what is
   *  reported). Diverged runs are counted, not averaged. */
  select: Summary | null;
  summary: Summary | null;
  finished: number;
  diverged: RunRecord[];
  failed: number;
  /** Running or interrupted. */
  incomplete: number;
}

export function settingStats(model: string, setting: SettingGroup, meta: TaskMeta): SettingStats {
  const finished = setting.runs.filter((r) => r.status === 'finished');
  const judged = finished.flatMap((r) => (r.result && r.result.select.name === meta.select ? [r.result] : []));
  return {
    model,
    setting,
    select: summarize(judged.map((x) => x.select.value)),
    summary: summarize(judged.flatMap((x) => (x.main.value === null ? [] : [x.main.value]))),
    finished: finished.length,
    diverged: setting.runs.filter((r) => r.status === 'diverged'),
    failed: setting.runs.filter((r) => r.status === 'failed').length,
    incomplete: setting.runs.filter((r) => r.status === 'running' || r.status === 'interrupted').length,
  };
}

export function modelStats(models: ModelGroup[], meta: TaskMeta): SettingStats[] {
  return models.flatMap((m) => m.settings.map((s) => settingStats(m.model, s, meta)));
}

/** True when mean `a` beats mean `b` under the goal. */
export function beats(a: number, b: number, goal: TaskMeta['goal']): boolean {
  return goal === 'min' ? a < b : a > b;
}

/** The best setting of each model by its validation mean; ties go to more seeds, then to the
 *  earlier setting. The test metric plays no part. */
export function bestPerModel(stats: SettingStats[], goal: TaskMeta['goal']): Map<string, SettingStats> {
  const best = new Map<string, SettingStats>();
  for (const s of stats) {
    if (!s.select || !s.summary) continue;
    const cur = best.get(s.model);
    const better =
      !cur ||
      beats(s.select.mean, cur.select!.mean, goal) ||
      (s.select.mean === cur.select!.mean && s.select.n > cur.select!.n);
    if (better) best.set(s.model, s);
  }
  return best;
}

export interface CurvePoint {
  step: number;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

/** Mean and min..max band of a metric over runs, step by step (runs may stop at different steps). */
export function curve(runs: RunRecord[], histories: Map<number, History>, metric: string): CurvePoint[] {
  const bySteps = new Map<number, number[]>();
  for (const r of runs) {
    for (const h of histories.get(r.id) ?? []) {
      if (h.name !== metric || h.value === null || !Number.isFinite(h.value)) continue;
      bySteps.set(h.step, [...(bySteps.get(h.step) ?? []), h.value]);
    }
  }
  return [...bySteps.keys()].sort((a, b) => a - b).map((step) => {
    const xs = bySteps.get(step)!;
    return { step, mean: Number(math.mean(xs)), lo: Math.min(...xs), hi: Math.max(...xs), n: xs.length };
  });
}

/** The last logged value of a metric before or at the end of a run's history. */
export function lastValue(history: History | undefined, metric: string): { step: number; value: number } | null {
  const pts = (history ?? []).filter((h) => h.name === metric && h.value !== null && Number.isFinite(h.value));
  const last = pts[pts.length - 1];
  return last ? { step: last.step, value: last.value! } : null;
}

export interface SpeedRow {
  model: string;
  backend: string;
  engine: string;
  runs: number;
  msPerStep: number | null;
  stepsPerSec: number | null;
}

/** Median over every logged interval of every run, per model x backend x engine. */
export function speedRows(runs: RunRecord[], histories: Map<number, History>): SpeedRow[] {
  const groups = new Map<string, { row: Omit<SpeedRow, 'msPerStep' | 'stepsPerSec'>; ms: number[]; sps: number[] }>();
  for (const r of runs) {
    const backend = r.backend ?? 'unknown';
    const engine = engineLabel(r);
    const key = JSON.stringify([r.model, backend, engine]);
    const g = groups.get(key) ?? { row: { model: r.model, backend, engine, runs: 0 }, ms: [], sps: [] };
    g.row.runs++;
    for (const h of histories.get(r.id) ?? []) {
      if (h.value === null) continue;
      if (h.name === 'ms_per_step') g.ms.push(h.value);
      if (h.name === 'steps_per_sec') g.sps.push(h.value);
    }
    groups.set(key, g);
  }
  return [...groups.values()]
    .filter((g) => g.ms.length > 0 || g.sps.length > 0)
    .map((g) => ({ ...g.row, msPerStep: median(g.ms), stepsPerSec: median(g.sps) }));
}

export interface Compute {
  seconds: number;
  /** Some run had no logged CPU time (runs stored before it was logged): its wall-clock time,
   *  which overstates the compute on a shared machine, was counted instead. */
  wall: boolean;
  steps: number;
}

/** The compute runs took: each run's last logged cpu_seconds, else its wall-clock duration. */
export function computeOf(runs: RunRecord[], histories: Map<number, History>): Compute {
  let seconds = 0;
  let wall = false;
  let steps = 0;
  for (const r of runs) {
    steps += r.step;
    const cpu = lastValue(histories.get(r.id), 'cpu_seconds');
    if (cpu) seconds += cpu.value;
    else if (r.endedAt) {
      seconds += (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
      wall = true;
    }
  }
  return { seconds, wall, steps };
}

/** "1.2 CPU-h" ("wall-h" where some run counted wall time). */
export function fmtCompute(c: Compute): string {
  const h = c.seconds / 3600;
  return `${h >= 10 ? h.toFixed(0) : h >= 1 ? h.toFixed(1) : h.toFixed(2)} ${c.wall ? 'wall-h' : 'CPU-h'}`;
}

/** The explosion rule applied to a stored history: runs recorded `finished` before explosions
 *  ended runs (train.diverge_factor) whose training loss, or loss-like validation metric, went
 *  above `factor` times its first logged value are judged diverged at that step, with the cause.
 *  Returns the runs as a reader should count them (others unchanged). */
export function judgeExplosions(runs: RunRecord[], histories: Map<number, History>, factor = 1e6): RunRecord[] {
  return runs.map((r) => {
    if (r.status !== 'finished') return r;
    const select = r.result?.select.name;
    const names = ['train_loss', ...(select && r.result?.goal === 'min' ? [select] : [])];
    for (const name of names) {
      const pts = (histories.get(r.id) ?? []).filter((h) => h.name === name && h.value !== null && Number.isFinite(h.value));
      const first = pts[0];
      if (!first || first.value === 0) continue;
      const blown = pts.find((p) => Math.abs(p.value!) > factor * Math.abs(first.value!));
      if (blown) {
        const error = `${name} ${blown.value!.toPrecision(3)} at step ${blown.step} is more than ${factor.toExponential(0)} times its first value ${first.value!.toPrecision(3)} (recorded finished, before explosions ended runs)`;
        return { ...r, status: 'diverged', divergedStep: blown.step, error };
      }
    }
    return r;
  });
}

export interface Contended {
  runId: number;
  model: string;
  /** What the run's step costs depend on: model, sequence length, width, depth, batch, engine. */
  shape: string;
  msPerStep: number;
  /** The fastest run of the same shape (median ms per step of each run). */
  fastest: number;
}

/** The shape a step's cost depends on, as text. */
export function stepShape(r: RunRecord): string {
  const c = r.config as { model?: Record<string, unknown>; train?: Record<string, unknown> };
  const m = c.model ?? {};
  return [r.model, `T=${r.taskInfo?.['seq_len'] ?? '?'}`, `${m['layers'] ?? 1}x${m['hidden'] ?? '?'}`, m['bidirectional'] ? 'bi' : 'uni', `batch ${c.train?.['batch_size'] ?? '?'}`, r.backend ?? '?', engineLabel(r)].join(' · ');
}

/** Runs whose median ms per step is more than `factor` times that of the fastest run of the same
 *  shape: they shared the machine with other work, and their timings say more about it than about
 *  the run. */
export function contendedRuns(runs: RunRecord[], histories: Map<number, History>, factor = 2): Contended[] {
  const medians = new Map<number, number>();
  for (const r of runs) {
    const ms = (histories.get(r.id) ?? []).filter((h) => h.name === 'ms_per_step' && h.value !== null).map((h) => h.value!);
    const m = median(ms);
    if (m !== null) medians.set(r.id, m);
  }
  const fastest = new Map<string, number>();
  for (const r of runs) {
    const m = medians.get(r.id);
    if (m === undefined) continue;
    const s = stepShape(r);
    fastest.set(s, Math.min(fastest.get(s) ?? Infinity, m));
  }
  return runs.flatMap((r) => {
    const m = medians.get(r.id);
    const f = fastest.get(stepShape(r));
    return m !== undefined && f !== undefined && m > factor * f ? [{ runId: r.id, model: r.model, shape: stepShape(r), msPerStep: m, fastest: f }] : [];
  });
}

export interface SeedComparison {
  a: string;
  b: string;
  /** The test means at each model's selected setting, and their spreads (sample std over seeds). */
  meanA: number;
  meanB: number;
  stdA: number;
  stdB: number;
  n: [number, number];
  /** |meanA - meanB| > stdA + stdB: the mean ± std intervals do not overlap. */
  beyondSpread: boolean;
}

/** IRNN against LSTM at equal architecture (the same label after the model name), where both
 *  selected settings have several seeds: do their test means differ by more than the seeds' spread? */
export function seedComparisons(best: Map<string, SettingStats>): SeedComparison[] {
  const out: SeedComparison[] = [];
  const rest = (label: string) => label.replace(/^[^ ]+/, '');
  for (const [la, sa] of best) {
    if (!la.startsWith('irnn')) continue;
    for (const [lb, sb] of best) {
      if (!lb.startsWith('lstm') || rest(la) !== rest(lb)) continue;
      const x = sa.summary;
      const y = sb.summary;
      if (!x || !y || x.n < 2 || y.n < 2 || x.std === null || y.std === null) continue;
      out.push({ a: la, b: lb, meanA: x.mean, meanB: y.mean, stdA: x.std, stdB: y.std, n: [x.n, y.n], beyondSpread: Math.abs(x.mean - y.mean) > x.std + y.std });
    }
  }
  return out;
}

export interface OptimizerRow {
  model: string;
  optimizer: string;
  best: SettingStats | null;
  runs: number;
  /** Of the selected setting's best run: the evaluation the result is from, and the first
   *  evaluation whose validation metric was below half the baseline (null: never, or no baseline). */
  resultStep: number | null;
  leftBaseline: number | null;
  /** The selected setting's run with the best validation result. */
  runId: number | null;
}

/** Each model's best setting per optimizer (where a task's runs use several): what each optimizer
 *  reached, and when. Selection is on validation within each optimizer's runs. */
export function optimizerRows(models: ModelGroup[], meta: TaskMeta, histories: Map<number, History>): OptimizerRow[] {
  const name = (r: RunRecord) => String((r.config['optimizer'] as Record<string, unknown> | undefined)?.['name'] ?? '?');
  const all = models.flatMap((m) => m.settings.flatMap((s) => s.runs));
  const optimizers = [...new Set(all.map(name))].sort();
  if (optimizers.length < 2) return [];
  const rows: OptimizerRow[] = [];
  for (const m of models) {
    for (const o of optimizers) {
      const settings = m.settings.map((s) => ({ ...s, runs: s.runs.filter((r) => name(r) === o) })).filter((s) => s.runs.length > 0);
      if (!settings.length) continue;
      const best = bestPerModel(settings.map((s) => settingStats(m.model, s, meta)), meta.goal).get(m.model) ?? null;
      const judged = (best?.setting.runs ?? []).filter((r) => r.status === 'finished' && r.result);
      const top = judged.sort((a, b) => (beats(a.result!.select.value, b.result!.select.value, meta.goal) ? -1 : 1))[0];
      const half = meta.baseline && meta.goal === 'min' ? meta.baseline.value / 2 : null;
      const left = top && half !== null ? (histories.get(top.id) ?? []).find((h) => h.name === meta.select && h.value !== null && h.value < half) : undefined;
      rows.push({ model: m.model, optimizer: o, best, runs: settings.reduce((n, s) => n + s.runs.length, 0), resultStep: top?.result?.step ?? null, leftBaseline: left?.step ?? null, runId: top?.id ?? null });
    }
  }
  return rows;
}
