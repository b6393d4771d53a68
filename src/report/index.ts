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
import { prunedSection } from './pruned.js';
import { compareModels, describeSelection, groupRuns, loadHistories, selectRuns, type History, type Selection } from './queries.js';
import { renderHtml, renderMarkdown, tableText, type Cell, type ReportDoc, type Section } from './render.js';
import { beats, computeOf, fmtCompute, judgeExplosions } from './stats.js';
import { fmtSummary, modelCell, paperValues, taskSection, type TaskResult } from './task-section.js';

export type ReportFormat = 'html' | 'md';
export const DEFAULT_REPORT_DIR = 'reports';

/** --format wins; otherwise the extension of --out; otherwise HTML. */
export function resolveOutput(o: { format?: string; out?: string }): { format: ReportFormat; out: string } {
  const fromExt = o.out && /^\.(md|markdown)$/i.test(extname(o.out)) ? 'md' : o.out ? 'html' : undefined;
  const format = (o.format ?? fromExt ?? 'html') as ReportFormat;
  return { format, out: o.out ?? join(DEFAULT_REPORT_DIR, `report.${format}`) };
}

/** The reproduction table: one row per task (and problem) and model, with the setting selected
 *  on validation, the validation and test metrics there, the paper's number, the runs, and the
 *  compute the result took (its runs) and its search took (every run of the model on the task).
 *  Plain text cells, so that `irnn report` can print the same table. */
export function glanceTable(results: TaskResult[], histories: Map<number, History>): { header: string[]; rows: Cell[][] } {
  const rows: Cell[][] = [];
  for (const { group: g, meta, best } of results) {
    const means = [...best.values()].map((s) => s.select!.mean);
    const winner = means.reduce<number | null>((w, v) => (w === null || beats(v, w, meta.goal) ? v : w), null);
    for (const m of g.models) {
      const s = best.get(m.model);
      const all = m.settings.flatMap((x) => x.runs);
      const finished = all.filter((r) => r.status === 'finished').length;
      const wins = s !== undefined && s.select!.mean === winner && best.size > 1;
      rows.push([
        g.title,
        modelCell(m.model),
        metricLabel(meta.metric).replace(/^test /, ''),
        s ? s.setting.label : 'no finished run',
        s && !meta.selectIsTest ? fmtSummary(meta.select, s.select) : '–',
        s ? { text: `${wins ? '★ ' : ''}${fmtSummary(meta.metric, s.summary)}`, cls: wins ? 'num best' : 'num' } : '–',
        paperValues(g, m, meta.metric),
        `${finished}/${all.length}`,
        s ? `${fmtCompute(computeOf(s.setting.runs, histories))} (search ${fmtCompute(computeOf(all, histories))})` : fmtCompute(computeOf(all, histories)),
        s ? stepsCell(s.setting.runs) : '–',
      ]);
    }
  }
  return { header: ['task', 'model', 'metric', 'selected setting', 'validation (ranks)', 'test at the selection', 'paper (test)', 'runs finished', 'compute: result (search)', 'steps (why it stopped)'], rows };
}

/** The steps the selected setting's finished runs trained, and why any stopped before its budget
 *  (the stop rule's name: target, patience, plateau). */
function stepsCell(runs: RunRecord[]): string {
  const done = runs.filter((r) => r.status === 'finished');
  const steps = [...new Set(done.map((r) => r.step))].sort((a, b) => a - b).map((n) => n.toLocaleString('en-US'));
  const why = [...new Set(done.flatMap((r) => (r.stopReason ? [r.stopReason.split(':')[0]!] : [])))];
  return steps.length ? `${steps.join(' / ')}${why.length ? ` (${why.join(', ')})` : ''}` : '–';
}

function overview(runs: RunRecord[], results: TaskResult[], glance: { header: string[]; rows: Cell[][] }): Section {
  const { header, rows } = glance;
  const count = (st: string) => runs.filter((r) => r.status === st).length;
  const statuses = ['finished', 'diverged', 'pruned', 'failed', 'interrupted', 'running'].map((s) => [s, count(s)] as const).filter(([, n]) => n > 0);
  const metrics = [...new Set(results.map((r) => `${r.group.title}: ${metricLabel(r.meta.select)} ranks, ${metricLabel(r.meta.metric)} is reported`))];
  return {
    id: 'overview',
    title: 'At a glance',
    blocks: [
      {
        kind: 'p',
        text:
          `Runs by outcome: ${statuses.map(([s, n]) => `${n} ${s}`).join(', ')}. One row per task and model: the setting selected by the ` +
          'validation metric (each run at its best validation evaluation, mean over seeds), the validation and test metrics there ' +
          '(mean ± std over seeds, n), the paper’s number for the same network, and the compute: CPU hours of the selected setting’s runs ' +
          '(of every run of that model on the task, the search, in brackets). ★ marks the model with the best validation mean.',
      },
      { kind: 'table', table: { header, rows } },
      { kind: 'p', cls: 'note', text: `${metrics.join('; ')}.` },
      { kind: 'p', cls: 'note', text: `Paper numbers come from ${PAPER.cite}; each task section gives their sources and check status. Data and scale differ from the paper's; each task section says how.` },
    ],
  };
}

/** The whole document; `generatedAt` is the only input that is not read from the runs. */
export async function buildReport(o: { runs: RunRecord[]; histories: Map<number, History>; selection: Selection; generatedAt: string }): Promise<ReportDoc> {
  const groups = groupRuns(o.runs);
  const models = [...new Set(o.runs.map((r) => r.model))].sort(compareModels);
  const results: TaskResult[] = [];
  for (const g of groups) results.push(await taskSection(g, o.histories));
  const glance = glanceTable(results, o.histories);
  const head = overview(o.runs, results, glance);
  return {
    title: 'IRNN harness report',
    summary: `${describeSelection(o.selection)}: ${o.runs.length} runs, ${groups.length} task${groups.length === 1 ? '' : 's'} (${groups.map((g) => g.title).join(', ')}), models ${models.join(', ')}.`,
    sections: [head, ...results.map((x) => x.section), ...[prunedSection(o.runs)].filter((x) => x !== null), provenanceSection(o.runs)],
    generatedAt: o.generatedAt,
    glance: { header: glance.header, rows: glance.rows },
  };
}

export async function makeReport(o: {
  db: Db;
  dbPath: string;
  selection: Selection;
  format?: string;
  out?: string;
  now?: Date;
}): Promise<{ out: string; format: ReportFormat; files: string[]; runs: number[]; tasks: string[]; glance: string }> {
  const { format, out } = resolveOutput(o);
  const stored = await selectRuns(o.db, o.selection);
  if (stored.length === 0) throw new UserError(`no runs to report: ${describeSelection(o.selection)} matches nothing in ${o.dbPath}`);
  const histories = await loadHistories(o.db, stored);
  // Judged by today's rules: a run recorded finished whose loss exploded counts as diverged.
  const runs = judgeExplosions(stored, histories);
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
  return { out, format, files, runs: runs.map((r) => r.id), tasks: [...new Set(runs.map((r) => r.task))].sort(), glance: tableText(doc.glance!) };
}
