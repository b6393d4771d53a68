// One task's section of a report: summary table (model x setting, mean ± std (n), outcome counts),
// learning curves, the sweep heat-map, best setting per model, speed, and the paper's numbers.
// Assembles statistics and figures into document blocks; the page layout lives in render.ts.
import type { RunRecord } from '../store/runs.js';
import { fmtMeanStd, fmtMetric, metricLabel, taskMeta, type TaskMeta } from './metrics.js';
import { paperTask, PAPER } from './paper.js';
import { heatmapSpec, learningCurveSpec, modelColour, renderSvg, speedSpec, type HeatCell } from './plots.js';
import { compareModels, compareValues, flatten, fmtSettingValue, type History, type TaskGroup } from './queries.js';
import { beats, bestPerModel, curve, lastValue, modelStats, speedRows, type SettingStats, type Summary } from './stats.js';
import type { Block, Cell, Section } from './render.js';
import { gradientBlocks } from './gradients.js';
import { commandLine } from './provenance.js';

export const fmtSummary = (metric: string, s: Summary | null): string =>
  s ? `${s.std === null ? fmtMetric(metric, s.mean) : fmtMeanStd(metric, s.mean, s.std)} (n=${s.n})` : '–';

export const modelCell = (model: string): Cell => ({ text: model, swatch: modelColour(model), cls: 'model' });

export const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function divergedText(s: SettingStats): string {
  if (!s.diverged.length) return '0';
  const steps = s.diverged.map((r) => r.divergedStep ?? r.step).join(', ');
  return `✕ ${s.diverged.length} (step ${steps})`;
}

function summaryTable(stats: SettingStats[], best: Map<string, SettingStats>, meta: TaskMeta): Block {
  const rows: Cell[][] = [];
  const rowCls: Array<string | undefined> = [];
  // A star only where a model has settings to choose between.
  const choices = (model: string) => stats.filter((s) => s.model === model && s.summary).length;
  for (const s of stats) {
    const isBest = best.get(s.model) === s && choices(s.model) > 1;
    const mean: Cell = s.summary
      ? { text: fmtSummary(meta.metric, s.summary), cls: isBest ? 'num best' : 'num' }
      : { text: s.diverged.length ? 'all diverged' : 'no finished run', cls: s.diverged.length ? 'diverged' : 'muted' };
    rows.push([
      modelCell(s.model),
      { text: `${s.setting.label}${isBest ? '  ★ best' : ''}`, cls: isBest ? 'best' : undefined },
      mean,
      String(s.finished),
      { text: divergedText(s), cls: s.diverged.length ? 'num diverged' : 'num' },
      String(s.failed),
      String(s.incomplete),
    ]);
    rowCls.push(s.diverged.length ? 'diverged' : undefined);
  }
  const header = ['model', 'setting', `final ${metricLabel(meta.metric)}: mean ± std (n)`, 'finished', 'diverged', 'failed', 'running / interrupted'];
  // The last column only when some run is still running or was interrupted.
  const keep = stats.some((s) => s.incomplete > 0) ? header.length : header.length - 1;
  return { kind: 'table', table: { header: header.slice(0, keep), rows: rows.map((r) => r.slice(0, keep)), rowCls } };
}

function bestTable(best: Map<string, SettingStats>, meta: TaskMeta): Block {
  const rows = [...best.values()].map((s): Cell[] => {
    const run = s.setting.runs.find((r) => r.status === 'finished') ?? s.setting.runs[0]!;
    const seeds = [...new Set(s.setting.runs.map((r) => r.seed))].sort((a, b) => a - b).join(', ');
    return [modelCell(s.model), s.setting.label, fmtSummary(meta.metric, s.summary), seeds, { text: commandLine(run), code: true }];
  });
  return { kind: 'table', table: { header: ['model', 'best setting', metricLabel(meta.metric), 'seeds', 'reproduce (one seed)'], rows } };
}

async function curvesFigure(g: TaskGroup, meta: TaskMeta, best: Map<string, SettingStats>, histories: Map<number, History>, models: string[]): Promise<Block[]> {
  const series = [...best.values()].map((s) => ({ model: s.model, points: curve(s.setting.runs.filter((r) => r.status === 'finished'), histories, meta.metric) }));
  const diverged = g.runs
    .filter((r) => r.status === 'diverged')
    .flatMap((r) => {
      const last = lastValue(histories.get(r.id), meta.metric);
      return last ? [{ model: r.model, step: r.divergedStep ?? r.step, value: last.value, run: r.id }] : [];
    });
  if (!series.some((s) => s.points.length) && !diverged.length) return [{ kind: 'p', cls: 'note', text: `No ${meta.metric} values were logged.` }];
  const spec = learningCurveSpec({ title: `${g.task}: ${metricLabel(meta.metric)} during training`, metricTitle: metricLabel(meta.metric), log: meta.log, models, series, diverged, baseline: meta.baseline });
  const id = `${slug(g.task)}-curves`;
  const caption =
    `Best setting of each model: the line is the mean over seeds, the band spans the lowest to the highest seed` +
    `${meta.log ? '; log scale' : ''}.${diverged.length ? ` ✕ marks a diverged run (any setting) at the step it diverged, at its last evaluated value.` : ''}` +
    `${meta.baseline ? ` Dashed: baseline (${meta.baseline.label}) = ${fmtMetric(meta.metric, meta.baseline.value)}.` : ''}`;
  return [{ kind: 'figure', figure: { id, caption, svg: await renderSvg(spec, id) } }];
}

/** The two swept keys to lay out (`varying` is not empty): learning rate x clipping when both
 *  vary, else the keys with the most values. */
function heatAxes(varying: string[], runs: RunRecord[]): [string, string | null] {
  const distinct = (k: string) => new Set(runs.map((r) => JSON.stringify(flatten(r.config)[k] ?? null))).size;
  const pref = ['optimizer.lr', 'optimizer.clip'].filter((k) => varying.includes(k));
  const rest = varying.filter((k) => !pref.includes(k)).sort((a, b) => distinct(b) - distinct(a) || (a < b ? -1 : 1));
  const [x, y] = [...pref, ...rest];
  return [x!, y ?? null];
}

async function heatmapFigure(g: TaskGroup, meta: TaskMeta, stats: SettingStats[], models: string[]): Promise<Block[]> {
  // Some model has two settings, so some key varies.
  if (!g.models.some((m) => m.settings.length > 1)) return [];
  const [xKey, yKey] = heatAxes(g.varying, g.runs);
  const at = (s: SettingStats, k: string | null) => (k === null ? 'all' : fmtSettingValue(flatten(s.setting.runs[0]!.config)[k]));
  const raw = (s: SettingStats, k: string) => flatten(s.setting.runs[0]!.config)[k];
  const cells = new Map<string, { model: string; x: string; y: string; best: SettingStats | null; diverged: number; runs: number }>();
  for (const s of stats) {
    const key = JSON.stringify([s.model, at(s, xKey), at(s, yKey)]);
    const c = cells.get(key) ?? { model: s.model, x: at(s, xKey), y: at(s, yKey), best: null, diverged: 0, runs: 0 };
    c.diverged += s.diverged.length;
    c.runs += s.setting.runs.length;
    if (s.summary && (!c.best || beats(s.summary.mean, c.best.summary!.mean, meta.goal))) c.best = s;
    cells.set(key, c);
  }
  const sortedVals = (k: string | null) =>
    k === null ? ['all'] : [...new Map(stats.map((s) => [at(s, k), raw(s, k)])).entries()].sort((a, b) => compareValues([a[1]], [b[1]])).map(([t]) => t);
  const values = [...cells.values()].flatMap((c) => (c.best ? [c.best.summary!.mean] : []));
  const tf = (v: number) => (meta.log && values.every((u) => u > 0) ? Math.log(v) : v);
  const [lo, hi] = [Math.min(...values.map(tf)), Math.max(...values.map(tf))];
  const heat: HeatCell[] = [...cells.values()].map((c) => {
    const v = c.best?.summary?.mean ?? null;
    const p = v === null || hi === lo ? 0.5 : (tf(v) - lo) / (hi - lo);
    return {
      model: c.model, x: c.x, y: c.y, value: v,
      text: v === null ? (c.diverged ? 'diverged' : 'failed') : fmtMetric(meta.metric, v),
      mark: c.diverged ? `✕ ${c.diverged}/${c.runs} diverged` : '',
      dark: v !== null && (meta.goal === 'min' ? 1 - p : p) < 0.5,
    };
  });
  const cellModels = models.filter((m) => heat.some((c) => c.model === m));
  const id = `${slug(g.task)}-sweep`;
  const spec = heatmapSpec({ title: `${g.task}: final ${metricLabel(meta.metric)} over ${xKey}${yKey ? ` × ${yKey}` : ''}`, metricTitle: metricLabel(meta.metric), xKey, yKey: yKey ?? '', xValues: sortedVals(xKey), yValues: sortedVals(yKey), models: cellModels, cells: heat, log: meta.log, goal: meta.goal });
  const others = g.varying.filter((k) => k !== xKey && k !== yKey);
  const caption =
    `Mean over seeds of the finished runs in each cell, brighter = better; grey cells have no finished run; red text counts diverged runs.` +
    (others.length ? ` Where ${others.join(', ')} also vary, a cell shows its best value over them.` : '');
  return [{ kind: 'h3', text: 'Sweep' }, { kind: 'figure', figure: { id, caption, svg: await renderSvg(spec, id) } }];
}

async function speedBlocks(g: TaskGroup, histories: Map<number, History>, models: string[]): Promise<Block[]> {
  const rows = speedRows(g.runs, histories).sort((a, b) => compareModels(a.model, b.model) || compareValues([a.backend, a.engine], [b.backend, b.engine]));
  if (!rows.length) return [];
  const label = (r: (typeof rows)[number]) => `${r.model} · ${r.backend} · ${r.engine}`;
  const table: Block = {
    kind: 'table',
    table: {
      header: ['model', 'backend', 'engine', 'runs', 'median ms / step', 'median steps / s'],
      rows: rows.map((r) => [modelCell(r.model), r.backend, r.engine, String(r.runs), r.msPerStep === null ? '–' : r.msPerStep.toFixed(2), r.stepsPerSec === null ? '–' : r.stepsPerSec.toFixed(1)]),
    },
  };
  const bars = rows.filter((r) => r.stepsPerSec !== null).map((r) => ({ label: label(r), model: r.model, stepsPerSec: r.stepsPerSec!, text: r.stepsPerSec!.toFixed(1) }));
  const id = `${slug(g.task)}-speed`;
  const fig: Block[] = bars.length ? [{ kind: 'figure', figure: { id, caption: 'Median over every evaluation interval of every run (wall-clock of the training step only).', svg: await renderSvg(speedSpec({ title: `${g.task}: training speed`, models, rows: bars }), id) } }] : [];
  return [{ kind: 'h3', text: 'Speed' }, table, ...fig];
}

function paperBlocks(g: TaskGroup, best: Map<string, SettingStats>, meta: TaskMeta): Block[] {
  const paper = paperTask(g.runs);
  if (!paper) return [];
  const rows: Cell[][] = [];
  // Rows not about one model (a baseline) first, then model by model: the paper's rows, then ours.
  const models = [...new Set([...paper.results.map((r) => r.model), ...best.keys()])].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : compareModels(a, b)));
  for (const m of models) {
    for (const r of paper.results.filter((p) => p.model === m)) {
      rows.push([m ? modelCell(m) : '–', { text: `paper (${r.where})`, cls: 'paper' }, r.label, metricLabel(r.metric), fmtMetric(r.metric, r.value)]);
    }
    const ours = best.get(m);
    if (ours) rows.push([modelCell(m), 'ours (best setting)', ours.setting.label, metricLabel(meta.metric), fmtSummary(meta.metric, ours.summary)]);
  }
  return [
    { kind: 'h3', text: 'Paper vs ours' },
    { kind: 'p', text: `Paper: ${paper.setup} Source: ${PAPER.cite}.` },
    { kind: 'p', text: paper.differences(g.runs) },
    rows.length
      ? { kind: 'table', table: { header: ['model', 'source', 'network / setting', 'metric', 'value'], rows } }
      : { kind: 'p', cls: 'note', text: 'The paper gives no number here that measures the same thing as our metric.' },
  ];
}

export interface TaskResult {
  section: Section;
  meta: TaskMeta;
  best: Map<string, SettingStats>;
}

export async function taskSection(g: TaskGroup, histories: Map<number, History>): Promise<TaskResult> {
  const meta = taskMeta(g.runs);
  // Legends list this task's models; their colours are fixed by name, the same in every figure.
  const models = g.models.map((m) => m.model);
  const stats = modelStats(g.models, meta);
  const best = bestPerModel(stats, meta.goal);
  const T = [...new Set(g.runs.map((r) => r.taskInfo?.['seq_len']).filter((v) => v !== undefined))].join(', ');
  const lead =
    `${g.runs.length} runs. Ranked by final ${meta.metric} (${meta.goal === 'min' ? 'lower' : 'higher'} is better)` +
    `${T ? `; sequence length ${T}` : ''}${meta.baseline ? `; baseline ${fmtMetric(meta.metric, meta.baseline.value)} (${meta.baseline.label})` : ''}.` +
    ' Diverged runs are counted and marked, never averaged in.';
  const blocks: Block[] = [
    { kind: 'p', text: lead },
    { kind: 'h3', text: 'Summary' },
    summaryTable(stats, best, meta),
    { kind: 'h3', text: 'Learning curves' },
    ...(await curvesFigure(g, meta, best, histories, models)),
    ...(await gradientBlocks(g)),
    ...(await heatmapFigure(g, meta, stats, models)),
    ...(best.size ? [{ kind: 'h3', text: 'Best setting per model' } as Block, bestTable(best, meta)] : []),
    ...(await speedBlocks(g, histories, models)),
    ...paperBlocks(g, best, meta),
  ];
  return { section: { id: `task-${slug(g.task)}`, title: `Task: ${g.task}`, blocks }, meta, best };
}
