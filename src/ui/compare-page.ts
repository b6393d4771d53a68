// Compare: the selected runs' curves on one plot per metric (one colour per run, log axis for errors
// and losses), above a table of the runs and the config keys in which they differ.
import type { Db } from '../store/db.js';
import { listRuns, type RunRecord } from '../store/runs.js';
import { fmtMetric } from '../report/metrics.js';
import { flatten, fmtSettingValue, loadHistories, shortKeys, varyingKeys } from '../report/queries.js';
import { blockHtml, tableHtml, type Cell } from '../report/render.js';
import { esc, link, type Page } from './layout.js';
import { metricFigures } from './plots.js';

/** Most runs on one plot: beyond this the lines cannot be told apart. */
const MAX_RUNS = 10;

export async function comparePage(db: Db, q: URLSearchParams): Promise<Page> {
  const ids = [...new Set(q.getAll('id').flatMap((s) => s.split(',')).map(Number).filter((n) => Number.isInteger(n) && n > 0))];
  const top = `<p class="back">${link('/', '← runs')}</p>`;
  if (ids.length === 0) return { title: 'Compare', top, live: '<p class="error">Pick runs to compare in the runs table (the checkboxes), or open /compare?id=1&amp;id=2.</p>', status: 400 };
  const found = new Map((await listRuns(db, { ids })).map((r) => [r.id, r]));
  const runs = ids.flatMap((id) => found.get(id) ?? []).slice(0, MAX_RUNS);
  const missing = ids.filter((id) => !found.has(id));
  if (!runs.length) return { title: 'Compare', top, live: `<p class="error">${esc(`no such runs: ${missing.join(', ')}`)}</p>`, status: 404 };
  const keys = varyingKeys(runs);
  const short = shortKeys(keys);
  const label = (r: RunRecord) => {
    const flat = flatten(r.config);
    const setting = keys.filter((k) => k !== 'model.name').map((k) => `${short.get(k)}=${fmtSettingValue(flat[k])}`).join(' ');
    return `#${r.id} ${r.model}${setting ? ` ${setting}` : ''}`;
  };
  const histories = await loadHistories(db, runs);
  const figures = await metricFigures({ runs, histories, label, idPrefix: 'compare' });
  const rows = runs.map((r): Cell[] => [
    { text: `#${r.id}` },
    r.status,
    r.task,
    r.model,
    ...keys.map((k) => fmtSettingValue(flatten(r.config)[k])),
    `${r.step} / ${r.steps}`,
    r.result ? `${r.result.select.name} ${fmtMetric(r.result.select.name, r.result.select.value)}` : '–',
  ]);
  const notes = [
    ids.length > MAX_RUNS ? `Showing the first ${MAX_RUNS} of ${ids.length} runs.` : '',
    missing.length ? `No such runs: ${missing.join(', ')}.` : '',
  ].filter(Boolean);
  const running = runs.some((r) => r.status === 'running');
  const live = [
    `<h1>Compare ${runs.length} runs</h1>`,
    ...notes.map((n) => `<p class="note">${esc(n)}</p>`),
    `<section${running ? ' data-running' : ''}>`,
    tableHtml({ header: ['run', 'status', 'task', 'model', ...keys.map((k) => short.get(k)!), 'step', 'best validation'], rows }),
    '</section>',
    `<p>${runs.map((r) => link(`/run?id=${r.id}`, `run ${r.id}`)).join(' · ')}</p>`,
    figures.length ? `<div class="figures">${figures.map(blockHtml).join('\n')}</div>` : '<p class="note">No metrics logged yet.</p>',
  ].join('\n');
  return { title: `Compare ${runs.map((r) => `#${r.id}`).join(' ')}`, top, live };
}
