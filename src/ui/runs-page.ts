// The runs table: status (stale running runs flagged), task, model, the config keys that vary among
// the runs shown, the run's result, step / total, speed and the age of its heartbeat; sorted by any
// column and filtered by the same expressions as `irnn report --where`. Checkboxes pick runs to compare.
import type { Db } from '../store/db.js';
import { listRuns, type RunRecord } from '../store/runs.js';
import { isUserError } from '../util/errors.js';
import { isStale } from '../util/process.js';
import { fmtMetric } from '../report/metrics.js';
import { flatten, fmtSettingValue, shortKeys, varyingKeys } from '../report/queries.js';
import { filterRuns } from '../report/where.js';
import { age, esc, link, query, type Page } from './layout.js';

/** Most runs one page shows; a filter narrows a larger store. */
const MAX_ROWS = 1000;
/** Most config columns: the keys with the most distinct values among the runs shown. */
const MAX_KEYS = 8;

export const staleRun = (r: RunRecord) => r.status === 'running' && isStale({ pid: r.pid, host: r.host, beat: r.heartbeatAt ?? r.startedAt });

type SortValue = number | string | null;
interface Column {
  title: string;
  sort: (r: RunRecord) => SortValue;
  cell: (r: RunRecord) => string;
  cls?: string;
}

const speed = (r: RunRecord) => r.metrics['steps_per_sec'] ?? null;
const resultText = (r: RunRecord) =>
  r.result ? `${r.result.select.name} ${fmtMetric(r.result.select.name, r.result.select.value)} · ${r.result.main.name} ${fmtMetric(r.result.main.name, r.result.main.value)}` : '–';

function statusCell(r: RunRecord): string {
  const stale = staleRun(r);
  const text = stale ? 'running · stale' : r.status === 'diverged' ? `diverged @${r.divergedStep ?? r.step}` : r.status;
  return `<span class="status ${esc(r.status)}${stale ? ' stale' : ''}"${stale ? ' title="no heartbeat for 10 min or its process is gone"' : ''}>${esc(text)}</span>`;
}

/** Fixed columns by id (the sort parameter); config columns are `cfg:<key>`. */
const COLUMNS: Record<string, Column> = {
  id: { title: 'run', sort: (r) => r.id, cell: (r) => link(`/run?id=${r.id}`, `#${r.id}`), cls: 'num' },
  status: { title: 'status', sort: (r) => (staleRun(r) ? 'running stale' : r.status), cell: statusCell },
  task: { title: 'task', sort: (r) => r.task, cell: (r) => esc(r.task) },
  model: { title: 'model', sort: (r) => r.model, cell: (r) => esc(r.model) },
  result: { title: 'result (best validation · test there)', sort: (r) => r.result?.select.value ?? null, cell: (r) => esc(resultText(r)), cls: 'num' },
  step: {
    title: 'step / total',
    sort: (r) => r.step / Math.max(1, r.steps),
    cell: (r) => `<span class="step">${r.step}</span> / ${r.steps}`,
    cls: 'num',
  },
  speed: { title: 'steps / s', sort: speed, cell: (r) => esc(speed(r) === null ? '–' : speed(r)!.toFixed(1)), cls: 'num' },
  heartbeat: { title: 'heartbeat', sort: (r) => r.heartbeatAt, cell: (r) => `${esc(age(r.heartbeatAt))} ago`, cls: 'num' },
  started: { title: 'started', sort: (r) => r.startedAt, cell: (r) => esc(r.startedAt.slice(0, 19).replace('T', ' ')) },
};
const BEFORE_KEYS = ['id', 'status', 'task', 'model'];
const AFTER_KEYS = ['result', 'step', 'speed', 'heartbeat', 'started'];

/** Keys that vary among the runs, leaving out those the task and model choice already fix (an
 *  lstm's gaussian init next to an irnn's identity says nothing the model column does not). */
function settingKeys(runs: RunRecord[], flat: Map<number, Record<string, unknown>>): string[] {
  const choice = (r: RunRecord) => JSON.stringify([r.task, r.model]);
  return varyingKeys(runs).filter((k) => {
    const seen = new Map<string, string>();
    return runs.some((r) => {
      const v = JSON.stringify(flat.get(r.id)![k] ?? null);
      const before = seen.get(choice(r));
      seen.set(choice(r), v);
      return before !== undefined && before !== v;
    });
  });
}

function configColumns(runs: RunRecord[]): Array<[string, Column]> {
  const flat = new Map(runs.map((r) => [r.id, flatten(r.config)]));
  const distinct = (k: string) => new Set(runs.map((r) => JSON.stringify(flat.get(r.id)![k] ?? null))).size;
  const keys = settingKeys(runs, flat).sort((a, b) => distinct(b) - distinct(a) || (a < b ? -1 : 1)).slice(0, MAX_KEYS).sort();
  const short = shortKeys(keys);
  return keys.map((k) => {
    const v = (r: RunRecord) => flat.get(r.id)![k];
    const sort = (r: RunRecord): SortValue => (typeof v(r) === 'number' ? (v(r) as number) : v(r) === undefined ? null : fmtSettingValue(v(r)));
    return [`cfg:${k}`, { title: short.get(k)!, sort, cell: (r) => esc(v(r) === undefined ? '' : fmtSettingValue(v(r))), cls: typeof v(runs[0]!) === 'number' ? 'num' : undefined }];
  });
}

function compare(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1;
}

function counts(runs: RunRecord[]): string {
  const by = new Map<string, number>();
  for (const r of runs) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  const stale = runs.filter(staleRun).length;
  return [...by].map(([s, n]) => `${n} ${s}${s === 'running' && stale ? ` (${stale} stale)` : ''}`).join(', ');
}

function filterForm(where: string, sort: string, dir: string): string {
  return [
    '<form class="filter" method="get" action="/">',
    `<input type="text" name="where" value="${esc(where)}" placeholder='where, e.g. model.name == "irnn" and optimizer.lr < 1e-2' size="70" aria-label="filter">`,
    `<input type="hidden" name="sort" value="${esc(sort)}"><input type="hidden" name="dir" value="${esc(dir)}">`,
    '<button type="submit">Filter</button> ',
    '<span class="hint">the expressions of <code>irnn report --where</code>: config keys, columns, final metrics</span>',
    '</form>',
    '<form id="compare" method="get" action="/compare"><button type="submit">Compare selected</button></form>',
  ].join('');
}

export async function runsPage(db: Db, q: URLSearchParams): Promise<Page> {
  const where = q.get('where')?.trim() ?? '';
  const sortId = q.get('sort') ?? 'id';
  const dir = q.get('dir') === 'asc' ? 'asc' : q.get('dir') === 'desc' ? 'desc' : sortId === 'id' ? 'desc' : 'asc';
  const top = filterForm(where, sortId, dir);
  let runs = await listRuns(db);
  const total = runs.length;
  if (where) {
    try {
      runs = filterRuns(runs, where);
    } catch (e) {
      if (!isUserError(e)) throw e;
      return { title: 'Runs', top, live: `<p class="error">${esc((e as Error).message)}</p>`, status: 400 };
    }
  }
  const columns: Array<[string, Column]> = [
    ...BEFORE_KEYS.map((k) => [k, COLUMNS[k]!] as [string, Column]),
    ...(runs.length ? configColumns(runs) : []),
    ...AFTER_KEYS.map((k) => [k, COLUMNS[k]!] as [string, Column]),
  ];
  const col = columns.find(([id]) => id === sortId)?.[1] ?? COLUMNS['id']!;
  runs.sort((a, b) => compare(col.sort(a), col.sort(b)) * (dir === 'asc' ? 1 : -1) || a.id - b.id);
  const shown = runs.slice(0, MAX_ROWS);
  const head = columns.map(([id, c]) => {
    const next = id === sortId && dir === 'asc' ? 'desc' : 'asc';
    const arrow = id === sortId ? (dir === 'asc' ? ' ▲' : ' ▼') : '';
    return `<th>${link(`/${query({ where, sort: id, dir: next })}`, c.title + arrow)}</th>`;
  });
  const rows = shown.map((r) => {
    const cells = columns.map(([, c]) => `<td${c.cls ? ` class="${c.cls}"` : ''}>${c.cell(r)}</td>`).join('');
    const pick = `<td><input type="checkbox" form="compare" name="id" value="${r.id}" aria-label="compare run ${r.id}"></td>`;
    return `<tr data-run="${r.id}" class="${esc(r.status)}${staleRun(r) ? ' stale' : ''}"${r.status === 'running' ? ' data-running' : ''}>${pick}${cells}</tr>`;
  });
  const summary =
    `${runs.length} of ${total} runs${where ? ` where ${where}` : ''}${runs.length ? `: ${counts(runs)}` : ''}.` +
    (runs.length > MAX_ROWS ? ` Showing the first ${MAX_ROWS}; a filter narrows the list.` : '');
  const table = runs.length
    ? `<table class="runs"><thead><tr><th></th>${head.join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`
    : '';
  return { title: 'Runs', top, live: `<p class="lead">${esc(summary)}</p>${table}` };
}
