// What a report ranks a task's runs by: the main metric, its goal, whether it reads best on a log
// axis, and the task's baseline, as each run stored them with its task info. Runs that stored none
// (older runs, runs that failed before their task was built) fall back to a test metric they logged;
// the report never builds a task (that would load data).
import type { RunRecord } from '../store/runs.js';

export interface TaskMeta {
  metric: string;
  goal: 'min' | 'max';
  /** Errors that span decades (MSE, perplexity) are drawn on a log axis. */
  log: boolean;
  baseline: { value: number; label: string } | null;
}

const LOG_METRICS = /_(mse|ppl|loss)$/;

type Stored = { main: { name: string; goal: 'min' | 'max' }; baseline: unknown };

function stored(run: RunRecord): Stored | null {
  const main = run.taskInfo?.['main_metric'] as { name?: unknown; goal?: unknown } | undefined;
  if (!main || typeof main.name !== 'string' || (main.goal !== 'min' && main.goal !== 'max')) return null;
  return { main: { name: main.name, goal: main.goal }, baseline: run.taskInfo?.['baseline'] };
}

/** The meta of one task's runs (they share a task, so the first run that stored it decides). A
 *  baseline is kept only when it measures the metric the runs are ranked by. */
export function taskMeta(runs: RunRecord[]): TaskMeta {
  const s = runs.map(stored).find((x) => x !== null);
  const logged = () => [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort().find((n) => n.startsWith('test_'));
  const metric = s?.main.name ?? logged() ?? 'train_loss';
  const goal = s?.main.goal ?? (/_acc$/.test(metric) ? 'max' : 'min');
  const b = s?.baseline as { metric?: unknown; value?: unknown; label?: unknown } | null | undefined;
  const baseline = b && b.metric === metric && typeof b.value === 'number' ? { value: b.value, label: String(b.label ?? 'baseline') } : null;
  return { metric, goal, log: LOG_METRICS.test(metric), baseline };
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
