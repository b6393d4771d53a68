// One task's section of a report: summary table (model x setting, mean ± std (n), outcome counts),
// learning curves, the sweep heat-map, best setting per model, speed, and the paper's numbers.
// Assembles statistics and figures into document blocks; the page layout lives in render.ts.
import type { RunRecord } from '../store/runs.js';
import { fmtMeanStd, fmtMetric, metricLabel, taskMeta, type TaskMeta } from './metrics.js';
import { CHECKED_TEXT, paperMatches, paperTask, PAPER, type Checked, type PaperResult } from './paper.js';
import { heatmapSpec, learningCurveSpec, modelColour, renderSvg, speedSpec, type HeatCell } from './plots.js';
import { compareModels, compareValues, flatten, fmtSettingValue, type History, type ModelGroup, type TaskGroup } from './queries.js';
import { beats, bestPerModel, contendedRuns, curve, lastValue, modelStats, optimizerRows, seedComparisons, speedRows, type SettingStats, type Summary } from './stats.js';
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
    const none: Cell = { text: s.diverged.length ? 'all diverged' : 'no finished run', cls: s.diverged.length ? 'diverged' : 'muted' };
    rows.push([
      modelCell(s.model),
      { text: `${s.setting.label}${isBest ? '  ★ best' : ''}`, cls: isBest ? 'best' : undefined },
      ...(meta.selectIsTest ? [] : [s.select ? ({ text: fmtSummary(meta.select, s.select), cls: isBest ? 'num best' : 'num' } as Cell) : none]),
      s.summary ? { text: fmtSummary(meta.metric, s.summary), cls: 'num' } : none,
      String(s.finished),
      { text: divergedText(s), cls: s.diverged.length ? 'num diverged' : 'num' },
      String(s.failed),
      String(s.incomplete),
    ]);
    rowCls.push(s.diverged.length ? 'diverged' : undefined);
  }
  const header = [
    'model',
    'setting',
    ...(meta.selectIsTest ? [] : [`${metricLabel(meta.select)} (ranks): mean ± std (n)`]),
    `${metricLabel(meta.metric)}${meta.selectIsTest ? ' (ranks)' : ' at the selection'}: mean ± std (n)`,
    'finished',
    'diverged',
    'failed',
    'running / interrupted',
  ];
  // The last column only when some run is still running or was interrupted.
  const keep = stats.some((s) => s.incomplete > 0) ? header.length : header.length - 1;
  return { kind: 'table', table: { header: header.slice(0, keep), rows: rows.map((r) => r.slice(0, keep)), rowCls } };
}

function bestTable(best: Map<string, SettingStats>, meta: TaskMeta): Block {
  const rows = [...best.values()].map((s): Cell[] => {
    const run = s.setting.runs.find((r) => r.status === 'finished') ?? s.setting.runs[0]!;
    const seeds = [...new Set(s.setting.runs.map((r) => r.seed))].sort((a, b) => a - b).join(', ');
    return [
      modelCell(s.model),
      s.setting.label,
      ...(meta.selectIsTest ? [] : [fmtSummary(meta.select, s.select)]),
      fmtSummary(meta.metric, s.summary),
      seeds,
      { text: commandLine(run), code: true },
    ];
  });
  const header = ['model', 'best setting', ...(meta.selectIsTest ? [] : [metricLabel(meta.select)]), metricLabel(meta.metric), 'seeds', 'reproduce (one seed)'];
  return { kind: 'table', table: { header, rows } };
}

async function curvesFigure(g: TaskGroup, meta: TaskMeta, best: Map<string, SettingStats>, histories: Map<number, History>, models: string[]): Promise<Block[]> {
  const series = [...best.values()].map((s) => ({ model: s.model, points: curve(s.setting.runs.filter((r) => r.status === 'finished'), histories, meta.metric) }));
  const diverged = g.runs
    .filter((r) => r.status === 'diverged')
    .flatMap((r) => {
      const last = lastValue(histories.get(r.id), meta.metric);
      return last ? [{ model: g.modelOf.get(r.id) ?? r.model, step: r.divergedStep ?? r.step, value: last.value, run: r.id }] : [];
    });
  if (!series.some((s) => s.points.length) && !diverged.length) return [{ kind: 'p', cls: 'note', text: `No ${meta.metric} values were logged.` }];
  const spec = learningCurveSpec({ title: `${g.title}: ${metricLabel(meta.metric)} during training`, metricTitle: metricLabel(meta.metric), log: meta.log, models, series, diverged, baseline: meta.baseline });
  const id = `${slug(g.title)}-curves`;
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
  const cells = new Map<string, { model: string; x: string; y: string; best: SettingStats | null; diverged: number; incomplete: number; runs: number }>();
  for (const s of stats) {
    const key = JSON.stringify([s.model, at(s, xKey), at(s, yKey)]);
    const c = cells.get(key) ?? { model: s.model, x: at(s, xKey), y: at(s, yKey), best: null, diverged: 0, incomplete: 0, runs: 0 };
    c.diverged += s.diverged.length;
    c.incomplete += s.incomplete;
    c.runs += s.setting.runs.length;
    if (s.select && (!c.best || beats(s.select.mean, c.best.select!.mean, meta.goal))) c.best = s;
    cells.set(key, c);
  }
  const sortedVals = (k: string | null) =>
    k === null ? ['all'] : [...new Map(stats.map((s) => [at(s, k), raw(s, k)])).entries()].sort((a, b) => compareValues([a[1]], [b[1]])).map(([t]) => t);
  const values = [...cells.values()].flatMap((c) => (c.best ? [c.best.select!.mean] : []));
  const tf = (v: number) => (meta.log && values.every((u) => u > 0) ? Math.log(v) : v);
  const [lo, hi] = [Math.min(...values.map(tf)), Math.max(...values.map(tf))];
  const heat: HeatCell[] = [...cells.values()].map((c) => {
    const v = c.best?.select?.mean ?? null;
    const p = v === null || hi === lo ? 0.5 : (tf(v) - lo) / (hi - lo);
    return {
      model: c.model, x: c.x, y: c.y, value: v,
      text: v === null ? (c.incomplete ? 'running' : c.diverged ? 'diverged' : 'failed') : fmtMetric(meta.select, v),
      mark: c.diverged ? `✕ ${c.diverged}/${c.runs} diverged` : '',
      dark: v !== null && (meta.goal === 'min' ? 1 - p : p) < 0.5,
    };
  });
  const cellModels = models.filter((m) => heat.some((c) => c.model === m));
  const id = `${slug(g.title)}-sweep`;
  const spec = heatmapSpec({ title: `${g.title}: ${metricLabel(meta.select)} over ${xKey}${yKey ? ` × ${yKey}` : ''}`, metricTitle: metricLabel(meta.select), xKey, yKey: yKey ?? '', xValues: sortedVals(xKey), yValues: sortedVals(yKey), models: cellModels, cells: heat, log: meta.log, goal: meta.goal });
  const others = g.varying.filter((k) => k !== xKey && k !== yKey);
  const caption =
    `${metricLabel(meta.select)} at each run's best evaluation, mean over seeds of the finished runs in each cell (what selects the setting), brighter = better; grey cells have no finished run; red text counts diverged runs.` +
    (others.length ? ` Where ${others.join(', ')} also vary, a cell shows its best value over them.` : '');
  return [{ kind: 'h3', text: 'Sweep' }, { kind: 'figure', figure: { id, caption, svg: await renderSvg(spec, id) } }];
}

/** Where the task's runs used several optimizers: each model's best setting under each, what it
 *  reached and when, selected on validation within that optimizer's runs. */
function optimizerBlocks(g: TaskGroup, meta: TaskMeta, histories: Map<number, History>): Block[] {
  const rows = optimizerRows(g.models, meta, histories);
  if (!rows.length) return [];
  const steps = (v: number | null) => (v === null ? '–' : v.toLocaleString('en-US'));
  return [
    { kind: 'h3', text: 'Optimizers side by side' },
    {
      kind: 'p',
      text:
        `Each model's best setting under each optimizer, chosen by ${metricLabel(meta.select)} among that optimizer's runs only; ` +
        `"result at" is the evaluation the result is from${meta.baseline ? `, "left the baseline at" the first evaluation with ${metricLabel(meta.select)} below half the baseline (${fmtMetric(meta.metric, meta.baseline.value / 2)})` : ''}, both of that setting's best run.`,
    },
    {
      kind: 'table',
      table: {
        header: ['model', 'optimizer', 'selected setting', 'validation', 'test', 'runs', 'result at step', ...(meta.baseline ? ['left the baseline at step'] : []), 'run'],
        rows: rows.map((r) => [
          modelCell(r.model), r.optimizer, r.best ? r.best.setting.label : 'no finished run',
          r.best ? fmtSummary(meta.select, r.best.select) : '–', r.best ? fmtSummary(meta.metric, r.best.summary) : '–',
          String(r.runs), steps(r.resultStep), ...(meta.baseline ? [r.best ? (r.leftBaseline === null ? 'never' : steps(r.leftBaseline)) : '–'] : []), r.runId === null ? '–' : String(r.runId),
        ]),
      },
    },
  ];
}

/** IRNN against LSTM over seeds: the difference of their test means beside the seeds' spread. */
function seedBlocks(best: Map<string, SettingStats>, meta: TaskMeta): Block[] {
  const cmp = seedComparisons(best);
  if (!cmp.length) return [];
  const f = (v: number) => fmtMetric(meta.metric, v);
  return [
    { kind: 'h3', text: 'IRNN and LSTM over seeds' },
    {
      kind: 'table',
      table: {
        header: ['IRNN', 'LSTM', `${metricLabel(meta.metric)}: IRNN`, 'LSTM', 'difference', 'spread (std + std)', 'verdict'],
        rows: cmp.map((c) => [
          modelCell(c.a), modelCell(c.b),
          `${f(c.meanA)} ± ${f(c.stdA)} (n=${c.n[0]})`, `${f(c.meanB)} ± ${f(c.stdB)} (n=${c.n[1]})`,
          f(Math.abs(c.meanA - c.meanB)), f(c.stdA + c.stdB),
          c.beyondSpread ? `they differ by more than the seeds' spread: ${beats(c.meanA, c.meanB, meta.goal) ? 'IRNN' : 'LSTM'} better` : "within the seeds' spread",
        ]),
      },
    },
  ];
}

async function speedBlocks(g: TaskGroup, histories: Map<number, History>, models: string[]): Promise<Block[]> {
  const contended = contendedRuns(g.runs, histories);
  const slow = new Set(contended.map((c) => c.runId));
  const rows = speedRows(g.runs.filter((r) => !slow.has(r.id)), histories).sort((a, b) => compareModels(a.model, b.model) || compareValues([a.backend, a.engine], [b.backend, b.engine]));
  if (!rows.length) return [];
  const marked: Block[] = contended.length
    ? [
        { kind: 'p', cls: 'note', text: `Left out of the medians above: ${contended.length} run${contended.length === 1 ? '' : 's'} whose median ms per step is more than twice that of the fastest run of the same shape (model, length, width and depth, batch, backend, engine). They shared the machine with other work; their timings describe that work, not the run.` },
        { kind: 'table', table: { header: ['run', 'shape', 'its median ms / step', 'fastest of the shape', 'ratio'], rows: contended.map((c) => [String(c.runId), c.shape, c.msPerStep.toFixed(2), c.fastest.toFixed(2), `${(c.msPerStep / c.fastest).toFixed(1)}×`]) } },
      ]
    : [];
  const label = (r: (typeof rows)[number]) => `${r.model} · ${r.backend} · ${r.engine}`;
  const table: Block = {
    kind: 'table',
    table: {
      header: ['model', 'backend', 'engine', 'runs', 'median ms / step', 'median steps / s'],
      rows: rows.map((r) => [modelCell(r.model), r.backend, r.engine, String(r.runs), r.msPerStep === null ? '–' : r.msPerStep.toFixed(2), r.stepsPerSec === null ? '–' : r.stepsPerSec.toFixed(1)]),
    },
  };
  const bars = rows.filter((r) => r.stepsPerSec !== null).map((r) => ({ label: label(r), model: r.model, stepsPerSec: r.stepsPerSec!, text: r.stepsPerSec!.toFixed(1) }));
  const id = `${slug(g.title)}-speed`;
  const fig: Block[] = bars.length ? [{ kind: 'figure', figure: { id, caption: 'Median over every evaluation interval of every run (wall-clock of the training step only).', svg: await renderSvg(speedSpec({ title: `${g.title}: training speed`, models, rows: bars }), id) } }] : [];
  return [{ kind: 'h3', text: 'Speed' }, table, ...fig, ...marked];
}

function paperRow(r: PaperResult, label: Cell): { cells: Cell[]; cls: string | undefined } {
  const source = r.checked === 'computed' ? r.source : `paper (${r.source})`;
  return {
    cells: [label, { text: source, cls: 'paper' }, r.label, metricLabel(r.metric), fmtMetric(r.metric, r.value), { text: r.checked, cls: r.checked === 'unverified' ? 'unverified' : undefined }],
    cls: r.checked === 'unverified' ? 'unverified' : undefined,
  };
}

function paperBlocks(g: TaskGroup, best: Map<string, SettingStats>, meta: TaskMeta): Block[] {
  const paper = paperTask(g.runs);
  if (!paper) return [];
  const rows: Cell[][] = [];
  const rowCls: Array<string | undefined> = [];
  const push = (x: { cells: Cell[]; cls: string | undefined }) => (rows.push(x.cells), rowCls.push(x.cls));
  // Numbers about no one model (a baseline) first, then each of our model groups with the paper's
  // numbers for that model and architecture, then the paper's numbers for networks we did not run.
  for (const r of paper.results.filter((p) => p.model === '')) push(paperRow(r, '–'));
  const shown = new Set<PaperResult>();
  for (const m of g.models) {
    for (const r of paper.results.filter((p) => paperMatches(p, m))) {
      push(paperRow(r, modelCell(m.model)));
      shown.add(r);
    }
    const ours = best.get(m.model);
    if (ours) push({ cells: [modelCell(m.model), 'ours (selected on validation)', ours.setting.label, metricLabel(meta.metric), fmtSummary(meta.metric, ours.summary), 'measured'], cls: undefined });
  }
  for (const r of paper.results.filter((p) => p.model !== '' && !shown.has(p))) push(paperRow(r, { text: `${r.model} (not run here)`, cls: 'muted' }));
  const used = [...new Set(paper.results.map((r) => r.checked))].filter((c): c is Checked => c !== 'computed');
  return [
    { kind: 'h3', text: 'Paper vs ours' },
    { kind: 'p', text: `Paper: ${paper.setup} Source: ${PAPER.cite}.` },
    { kind: 'p', text: paper.differences(g.runs) },
    rows.length
      ? { kind: 'table', table: { header: ['model', 'source', 'network / setting', 'metric', 'value', 'checked'], rows, rowCls } }
      : { kind: 'p', cls: 'note', text: 'The paper gives no number here that measures the same thing as our metric.' },
    ...(used.length ? [{ kind: 'p', cls: 'note', text: `Checked: ${used.map((c) => CHECKED_TEXT[c]).join('; ')}.` } as Block] : []),
  ];
}

/** The paper's numbers for one model group in the metric a task reports, e.g. "97.0% (established)". */
export function paperValues(g: TaskGroup, m: ModelGroup, metric: string): string {
  const rs = (paperTask(g.runs)?.results ?? []).filter((r) => r.metric === metric && paperMatches(r, m));
  return rs.map((r) => `${fmtMetric(r.metric, r.value)}${r.checked === 'established' ? '' : ` (${r.checked})`}`).join(', ') || '–';
}

export interface TaskResult {
  group: TaskGroup;
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
  const better = meta.goal === 'min' ? 'lower' : 'higher';
  const ranking = meta.selectIsTest
    ? `Ranked by ${meta.metric} (${better} is better), the only metric these runs logged: no validation split, so the selection is on the test set.`
    : `Selected on the validation split, reported on the test split: each run's result is its evaluation with the best ${meta.select} ` +
      `(${better} is better); settings and the best model are ranked by the mean of ${meta.select} over seeds, and ${meta.metric} is shown at that selection.`;
  const lead =
    `${g.runs.length} runs. ${ranking}` +
    `${T ? ` Sequence length ${T}.` : ''}${meta.baseline ? ` Baseline ${fmtMetric(meta.metric, meta.baseline.value)} (${meta.baseline.label}).` : ''}` +
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
    ...seedBlocks(best, meta),
    ...optimizerBlocks(g, meta, histories),
    ...(await speedBlocks(g, histories, models)),
    ...paperBlocks(g, best, meta),
  ];
  return { group: g, section: { id: `task-${slug(g.title)}`, title: `Task: ${g.title}`, blocks }, meta, best };
}
