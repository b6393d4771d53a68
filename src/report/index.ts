// `makeReport`: select runs from the store, build the report document (overview, one section per
// task, provenance) and write it as one HTML file or as Markdown with SVG files beside it. The
// same store gives the same bytes apart from the generation time in the footer.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Db } from '../store/db.js';
import type { RunRecord } from '../store/runs.js';
import { UserError } from '../util/errors.js';
import { metricLabel } from './metrics.js';
import { loadGradients } from './gradients.js';
import { PAPER } from './paper.js';
import { provenanceSection } from './provenance.js';
import { compareModels, describeSelection, groupRuns, loadHistories, selectRuns, type History, type Selection } from './queries.js';
import { renderHtml, renderMarkdown, type Cell, type ReportDoc, type Section } from './render.js';
import { beats } from './stats.js';
import { fmtSummary, modelCell, taskSection, type TaskResult } from './task-section.js';

export type ReportFormat = 'html' | 'md';
export const DEFAULT_REPORT_DIR = 'reports';

/** --format wins; otherwise the extension of --out; otherwise HTML. */
export function resolveOutput(o: { format?: string; out?: string }): { format: ReportFormat; out: string } {
  const fromExt = o.out && /^\.(md|markdown)$/i.test(extname(o.out)) ? 'md' : o.out ? 'html' : undefined;
  const format = (o.format ?? fromExt ?? 'html') as ReportFormat;
  return { format, out: o.out ?? join(DEFAULT_REPORT_DIR, `report.${format}`) };
}

function overview(runs: RunRecord[], results: Array<{ task: string; r: TaskResult }>, models: string[]): Section {
  const rows = results.map(({ task, r }): Cell[] => {
    const means = [...r.best.values()].map((s) => s.summary!.mean);
    const winner = means.reduce<number | null>((w, v) => (w === null || beats(v, w, r.meta.goal) ? v : w), null);
    return [
      task,
      `${metricLabel(r.meta.metric)} (${r.meta.goal === 'min' ? 'lower' : 'higher'} is better)`,
      ...models.map((m): Cell => {
        const s = r.best.get(m);
        if (!s) return { text: '–', cls: 'muted' };
        const wins = s.summary!.mean === winner && r.best.size > 1;
        return { text: `${wins ? '★ ' : ''}${fmtSummary(r.meta.metric, s.summary)}`, cls: wins ? 'num best' : 'num' };
      }),
    ];
  });
  const count = (st: string) => runs.filter((r) => r.status === st).length;
  const statuses = ['finished', 'diverged', 'failed', 'interrupted', 'running'].map((s) => [s, count(s)] as const).filter(([, n]) => n > 0);
  return {
    id: 'overview',
    title: 'At a glance',
    blocks: [
      { kind: 'p', text: `Runs by outcome: ${statuses.map(([s, n]) => `${n} ${s}`).join(', ')}. Each cell: the model's best setting on the task, final metric mean ± std over seeds (n); ★ marks the best model.` },
      { kind: 'table', table: { header: ['task', 'metric', ...models.map(modelCell)], rows } },
      { kind: 'p', cls: 'note', text: `Paper numbers quoted per task come from ${PAPER.cite}. Data and scale differ from the paper's; each task section says how.` },
    ],
  };
}

/** The whole document; `generatedAt` is the only input that is not read from the runs. */
export async function buildReport(o: { runs: RunRecord[]; histories: Map<number, History>; selection: Selection; generatedAt: string }): Promise<ReportDoc> {
  const groups = groupRuns(o.runs);
  const models = [...new Set(o.runs.map((r) => r.model))].sort(compareModels);
  const results: Array<{ task: string; r: TaskResult }> = [];
  for (const g of groups) results.push({ task: g.task, r: await taskSection(g, o.histories) });
  const head = overview(o.runs, results, models);
  return {
    title: 'IRNN harness report',
    summary: `${describeSelection(o.selection)}: ${o.runs.length} runs, ${groups.length} task${groups.length === 1 ? '' : 's'} (${groups.map((g) => g.task).join(', ')}), models ${models.join(', ')}.`,
    sections: [head, ...results.map((x) => x.r.section), provenanceSection(o.runs)],
    generatedAt: o.generatedAt,
  };
}

export async function makeReport(o: {
  db: Db;
  dbPath: string;
  selection: Selection;
  format?: string;
  out?: string;
  now?: Date;
}): Promise<{ out: string; format: ReportFormat; files: string[]; runs: number[]; tasks: string[] }> {
  const { format, out } = resolveOutput(o);
  const runs = await selectRuns(o.db, o.selection);
  if (runs.length === 0) throw new UserError(`no runs to report: ${describeSelection(o.selection)} matches nothing in ${o.dbPath}`);
  const histories = await loadHistories(o.db, runs);
  await loadGradients(o.db, runs);
  const doc = await buildReport({ runs, histories, selection: o.selection, generatedAt: (o.now ?? new Date()).toISOString() });
  mkdirSync(dirname(out) || '.', { recursive: true });
  const files = [out];
  if (format === 'html') writeFileSync(out, renderHtml(doc));
  else {
    const stem = basename(out, extname(out));
    const { md, files: svgs } = renderMarkdown(doc, stem);
    writeFileSync(out, md);
    for (const [name, svg] of svgs) {
      writeFileSync(join(dirname(out), name), svg);
      files.push(join(dirname(out), name));
    }
  }
  return { out, format, files, runs: runs.map((r) => r.id), tasks: [...new Set(runs.map((r) => r.task))].sort() };
}
