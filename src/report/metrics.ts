// What a report ranks a task's runs by and what it shows: the validation metric that selects
// (evaluations, settings, the best model), the test metric reported at the selection, the goal,
// whether they read best on a log axis, and the task's baseline, as each run stored them with its
// task info (store/runs.ts judgedBy). The report never builds a task (that would load data).
import { judgedBy, type RunRecord } from '../store/runs.js';

export interface TaskMeta {
  /** The test metric reported at the selection, e.g. test_mse. */
  metric: string;
  /** The validation metric that ranks, e.g. valid_mse (the test metric itself for runs that
   *  logged no validation twin: then `selectIsTest`). */
  select: string;
  selectIsTest: boolean;
  goal: 'min' | 'max';
  /** Errors that span decades (MSE, perplexity) are drawn on a log axis. */
  log: boolean;
  baseline: { value: number; label: string } | null;
}

/** Metrics whose values span decades (errors, perplexity, losses): drawn on a log axis. */
export const LOG_METRICS = /_(mse|ppl|loss)$/;

/** The meta of one task's runs (they share a task, so the first run that stored its main metric
 *  decides, else the first that can be judged by what it logged). A baseline is kept only when it
 *  measures the metric that is reported. */
export function taskMeta(runs: RunRecord[]): TaskMeta {
  const judged = runs.map((r) => ({ r, j: judgedBy(r.taskInfo, Object.keys(r.metrics)) })).filter((x) => x.j !== null);
  const found = judged.find((x) => x.r.taskInfo?.['main_metric']) ?? judged[0];
  const j = found?.j ?? { main: 'train_loss', select: 'train_loss', goal: 'min' as const };
  const b = found?.r.taskInfo?.['baseline'] as { metric?: unknown; value?: unknown; label?: unknown } | null | undefined;
  const baseline = b && b.metric === j.main && typeof b.value === 'number' ? { value: b.value, label: String(b.label ?? 'baseline') } : null;
  return { metric: j.main, select: j.select, selectIsTest: j.select === j.main, goal: j.goal, log: LOG_METRICS.test(j.main), baseline };
}

/** Readable metric names for headings and axes. */
export function metricLabel(name: string): string {
  const [split, what] = name.includes('_') ? [name.slice(0, name.indexOf('_')), name.slice(name.indexOf('_') + 1)] : ['', name];
  const names: Record<string, string> = { mse: 'MSE', acc: 'accuracy', ppl: 'perplexity', bpc: 'bits per char', fer: 'frame error rate', loss: 'loss' };
  return `${split} ${names[what] ?? what}`.trim();
}

/** Fixed-format numbers, so equal stores give equal reports: rates as percentages. */
export function fmtMetric(name: string, v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (!Number.isFinite(v)) return String(v);
  if (/_(acc|fer)$/.test(name)) return `${(100 * v).toFixed(1)}%`;
  return fmtValue(v);
}

/** "mean ± std": std to two significant digits and the mean to the same decimal place. */
export function fmtMeanStd(name: string, mean: number, std: number): string {
  const pct = /_(acc|fer)$/.test(name);
  const [m, sd, unit] = pct ? [100 * mean, 100 * std, '%'] : [mean, std, ''];
  if (!Number.isFinite(m) || !Number.isFinite(sd)) return `${fmtMetric(name, mean)} ± ${fmtMetric(name, std)}`;
  if (!pct && m !== 0 && Math.abs(m) < 1e-3) return `${m.toExponential(2)} ± ${sd.toExponential(1)}`;
  // Two significant digits of the std, but never more than four of the mean.
  const cap = m === 0 ? 6 : Math.max(0, 3 - Math.floor(Math.log10(Math.abs(m))));
  const d = Math.min(cap, sd > 0 ? Math.min(6, Math.max(0, 1 - Math.floor(Math.log10(sd)))) : pct ? 1 : 4);
  return `${m.toFixed(d)}${unit} ± ${sd.toFixed(d)}${unit}`;
}

export function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}
