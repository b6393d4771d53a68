// Sweeps: each sweep's progress (finished, diverged, pruned, failed, running, interrupted, left),
// and one sweep's jobs with the report's summary table and heat-map over the swept keys for its
// runs, redrawn as jobs finish.
import type { Db } from '../store/db.js';
import { listRuns } from '../store/runs.js';
import { getSweep, listSweeps, type JobStatus, type SweepInfo } from '../store/sweeps.js';
import { varyingParts } from '../config/sweep.js';
import { fmtMetric } from '../report/metrics.js';
import { groupRuns, loadHistories } from '../report/queries.js';
import { blockHtml, tableHtml, type Cell } from '../report/render.js';
import { taskSection } from '../report/task-section.js';
import { esc, link, type Page } from './layout.js';

/** Segments of the progress bar, in order, with their colours; `queued` is what is left. */
const SEGMENTS: Array<[JobStatus, string, string]> = [
  ['finished', '#59a14f', 'finished'],
  ['diverged', '#e15759', 'diverged'],
  ['pruned', '#9c755f', 'pruned'],
  ['failed', '#b00020', 'failed'],
  ['running', '#4e79a7', 'running'],
  ['interrupted', '#f28e2b', 'interrupted'],
  ['queued', '#e6e6e6', 'left'],
];

function progressText(s: SweepInfo): string {
  const parts = SEGMENTS.filter(([st]) => s.counts[st] > 0).map(([st, , name]) => `${s.counts[st]} ${name}`);
  return `${s.total - s.counts.queued - s.counts.running}/${s.total} done${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** The progress bar as inline SVG (attributes only, so the content-security policy holds). */
export function progressBar(s: SweepInfo, width = 240): string {
  let x = 0;
  const rects = SEGMENTS.filter(([st]) => s.counts[st] > 0).map(([st, fill, name]) => {
    const w = s.total ? (width * s.counts[st]) / s.total : 0;
    const r = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="12" fill="${fill}" data-status="${st}"><title>${s.counts[st]} ${name}</title></rect>`;
    x += w;
    return r;
  });
  return `<svg class="progress" width="${width}" height="12" viewBox="0 0 ${width} 12" role="img" aria-label="${esc(progressText(s))}">${rects.join('')}</svg>`;
}

function progressCell(s: SweepInfo): string {
  return `<span class="progress-cell" data-sweep="${s.id}">${progressBar(s)} <span class="progress-text">${esc(progressText(s))}</span></span>`;
}

export async function sweepsPage(db: Db): Promise<Page> {
  const sweeps = (await listSweeps(db)).reverse();
  const rows = sweeps.map((s) =>
    `<tr${s.status === 'running' ? ' data-running' : ''}><td class="num">${link(`/sweep?id=${s.id}`, `#${s.id}`)}</td><td><span class="status ${esc(s.status)}">${esc(s.status)}</span></td>` +
    `<td>${progressCell(s)}</td><td class="code">${esc(s.command)}</td><td>${esc(s.createdAt.slice(0, 19).replace('T', ' '))}</td></tr>`,
  );
  const live = sweeps.length
    ? `<table class="sweeps"><thead><tr><th>sweep</th><th>status</th><th>progress</th><th>command</th><th>created</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`
    : '<p class="note">No sweeps in this store (irnn sweep ... starts one).</p>';
  return { title: 'Sweeps', live: `<h1>Sweeps</h1>${live}` };
}

export async function sweepPage(db: Db, q: URLSearchParams): Promise<Page> {
  const id = Number(q.get('id'));
  const sweep = Number.isInteger(id) ? await getSweep(db, id) : undefined;
  const top = `<p class="back">${link('/sweeps', '← sweeps')}</p>`;
  if (!sweep) return { title: 'No such sweep', top, live: `<p class="error">${esc(`sweep ${q.get('id') ?? ''}: no such sweep in this store`)}</p>`, status: 404 };
  const runIds = sweep.jobs.flatMap((j) => (j.runId === null ? [] : [j.runId]));
  const runs = await listRuns(db, { ids: runIds });
  const byId = new Map(runs.map((r) => [r.id, r]));
  const labels = varyingParts(sweep.jobs.map((j) => j.overrides));
  const jobs = tableHtml({
    header: ['job', 'status', 'run', 'step', 'result (best validation)', 'overrides', 'note'],
    rows: sweep.jobs.map((j, i): Cell[] => {
      const r = j.runId === null ? undefined : byId.get(j.runId);
      return [
        String(j.idx),
        { text: j.skipped ? 'skipped (done before)' : j.status, cls: j.status === 'diverged' || j.status === 'failed' ? 'diverged' : undefined },
        j.runId === null ? '–' : `#${j.runId}`,
        r ? `${r.step} / ${r.steps}` : '–',
        r?.result ? `${r.result.select.name} ${fmtMetric(r.result.select.name, r.result.select.value)}` : '–',
        { text: labels[i]!.join(' ') || '–', code: true },
        j.status === 'pruned' ? (r?.prune ? `pruned at step ${r.prune.rung}: ${r.prune.reason}` : 'pruned') : j.status === 'failed' || j.status === 'diverged' ? (j.error ?? '') : '',
      ];
    }),
  });
  // The report's section for each task of the sweep: summary table, curves, the heat-map over the
  // swept keys, best settings, speed.
  const histories = await loadHistories(db, runs);
  const sections = [];
  for (const g of groupRuns(runs)) {
    const { section } = await taskSection(g, histories);
    sections.push(`<section id="${esc(section.id)}"><h2>${esc(section.title)}</h2>\n${section.blocks.map(blockHtml).join('\n')}</section>`);
  }
  const runLinks = runs.map((r) => link(`/run?id=${r.id}`, `#${r.id}`)).join(' ');
  const live = [
    `<h1>Sweep ${sweep.id} <span class="status ${esc(sweep.status)}">${esc(sweep.status)}</span></h1>`,
    `<p${sweep.status === 'running' ? ' data-running' : ''}>${progressCell(sweep)}</p>`,
    `<p><code>${esc(sweep.command)}</code></p>`,
    `<p class="note">created ${esc(sweep.createdAt)}${sweep.endedAt ? `, ended ${esc(sweep.endedAt)}` : ''}; runs: ${runLinks || 'none yet'}</p>`,
    '<h2>Jobs</h2>',
    `<div class="jobs">${jobs}</div>`,
    ...sections,
  ].join('\n');
  return { title: `Sweep ${sweep.id}`, top, live };
}
