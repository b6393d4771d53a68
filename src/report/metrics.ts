// What a report ranks a task's runs by: the main metric, its goal, whether it reads best on a log
// axis, and the task's baseline. Read from the stored task info when a run recorded it, otherwise
// known per task name; the report never builds a task (that would load data).
import type { RunRecord } from '../store/runs.js';
import { ADDING_BASELINE_MSE } from '../data/adding.js';

export interface TaskMeta {
  metric: string;
  goal: 'min' | 'max';
  /** Errors that span decades (MSE, perplexity) are drawn on a log axis. */
  log: boolean;
  baseline: { value: number; label: string } | null;
}

type Known = Omit<TaskMeta, 'log'> & { log?: boolean };

/** By `task.name` (and `task.level` for language models), as the tasks define them. */
const KNOWN: Record<string, (cfg: Record<string, unknown>) => Known> = {
  adding: () => ({ metric: 'test_mse', goal: 'min', baseline: { value: ADDING_BASELINE_MSE, label: 'always predict 1' } }),
  pixel_mnist: () => ({ metric: 'test_acc', goal: 'max', baseline: null }),
  permuted_mnist: () => ({ metric: 'test_acc', goal: 'max', baseline: null }),
  lm: (cfg) => ({ metric: cfg['level'] === 'char' ? 'test_bpc' : 'test_ppl', goal: 'min', baseline: null }),
  speech: () => ({ metric: 'test_fer', goal: 'min', baseline: null }),
};

const LOG_METRICS = /_(mse|ppl|loss)$/;

function stored(run: RunRecord): Partial<Known> {
  const info = run.taskInfo ?? {};
  const out: Partial<Known> = {};
  const main = info['main_metric'] as { name?: unknown; goal?: unknown } | undefined;
  if (main && typeof main.name === 'string' && (main.goal === 'min' || main.goal === 'max')) {
    out.metric = main.name;
    out.goal = main.goal;
  }
  const b = info['baseline'] as { value?: unknown; label?: unknown } | undefined;
  if (b && typeof b.value === 'number') out.baseline = { value: b.value, label: String(b.label ?? 'baseline') };
  return out;
}

/** The meta of one task's runs (they share a task, so the first run that knows decides). */
export function taskMeta(runs: RunRecord[]): TaskMeta {
  const first = runs[0]!;
  const cfg = (first.config['task'] ?? {}) as Record<string, unknown>;
  const known = KNOWN[String(cfg['name'] ?? first.task)]?.(cfg) ?? guess(runs);
  const fromStore = runs.map(stored).find((s) => s.metric !== undefined) ?? {};
  const baseline = runs.map(stored).find((s) => s.baseline)?.baseline ?? known.baseline;
  const metric = fromStore.metric ?? known.metric;
  return { metric, goal: fromStore.goal ?? known.goal, log: known.log ?? LOG_METRICS.test(metric), baseline };
}

/** An unknown task: its first test metric, higher-is-better only for accuracies. */
function guess(runs: RunRecord[]): Known {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const metric = names.find((n) => n.startsWith('test_')) ?? names.find((n) => n !== 'train_loss' && !n.includes('step')) ?? 'train_loss';
  return { metric, goal: /_acc$/.test(metric) ? 'max' : 'min', baseline: null };
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
