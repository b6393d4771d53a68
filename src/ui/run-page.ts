// One run: its state and provenance, every metric's history as a plot, the gradient profile where
// the store has one, its config as YAML and, with `diff=ID`, the config keys where another run differs.
import { stringify } from 'yaml';
import type { Db } from '../store/db.js';
import { getRun, metricHistory, type RunRecord } from '../store/runs.js';
import { fmtMetric } from '../report/metrics.js';
import { commandLine } from '../report/provenance.js';
import { flatten, fmtSettingValue } from '../report/queries.js';
import { blockHtml, tableHtml, type Cell } from '../report/render.js';
import { canonicalJson } from '../config/tree.js';
import { gradientBlocks } from './gradients.js';
import { age, esc, link, type Page } from './layout.js';
import { metricFigures } from './plots.js';
import { staleRun } from './runs-page.js';

function facts(r: RunRecord): Cell[][] {
  const rows: Array<[string, string | null]> = [
    ['status', `${r.status}${staleRun(r) ? ' (stale: no heartbeat for 10 min or its process is gone)' : ''}${r.status === 'diverged' ? ` at step ${r.divergedStep ?? r.step}` : ''}`],
    ['step', `${r.step} / ${r.steps}`],
    ['result', r.result ? `${r.result.select.name} ${fmtMetric(r.result.select.name, r.result.select.value)}, ${r.result.main.name} ${fmtMetric(r.result.main.name, r.result.main.value)} at step ${r.result.step}` : null],
    ['task · model · seed', `${r.task} · ${r.model} · ${r.seed}`],
    ['parameters', r.params === null ? null : String(r.params)],
    ['backend · engine', `${r.backend ?? 'unknown'} · ${r.engine ?? 'unknown'}`],
    ['host · pid', `${r.host ?? 'unknown'} · ${r.pid ?? '–'}`],
    ['git', r.git.commit === null ? 'unknown' : `${r.git.commit}${r.git.dirty ? ' (dirty)' : ''}`],
    ['versions', Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ') || null],
    ['started', r.startedAt],
    ['ended', r.endedAt],
    ['heartbeat', r.heartbeatAt ? `${r.heartbeatAt} (${age(r.heartbeatAt)} ago)` : null],
    ['checkpoint', r.checkpoint ? `step ${r.checkpoint.step}: ${r.checkpoint.path}` : null],
    ['pruned', r.prune ? `at step ${r.prune.rung}: ${r.prune.reason}` : null],
    ['resumed', r.resumes.length ? r.resumes.map((x) => `${x.at} from step ${x.step}${x.forced ? ' (forced)' : ''}`).join('; ') : null],
    ['error', r.error],
    ['config hash', r.configHash],
  ];
  return [
    ...rows.filter(([, v]) => v !== null).map(([k, v]): Cell[] => [k, { text: v!, cls: k === 'error' ? 'diverged' : undefined }]),
    ['command', { text: commandLine(r), code: true }],
  ];
}

/** Keys whose values differ between two configs (a key only one has counts). */
function configDiff(a: RunRecord, b: RunRecord): Cell[][] {
  const fa = flatten(a.config);
  const fb = flatten(b.config);
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  const show = (v: unknown) => (v === undefined ? { text: 'unset', cls: 'muted' } : fmtSettingValue(v));
  return keys.filter((k) => canonicalJson(fa[k] ?? null) !== canonicalJson(fb[k] ?? null) || (k in fa) !== (k in fb)).map((k) => [{ text: k, code: true }, show(fa[k]), show(fb[k])]);
}

function diffForm(run: RunRecord, other: string): string {
  return (
    `<form class="diff" method="get" action="/run"><input type="hidden" name="id" value="${run.id}">` +
    `<label>Diff the config against run <input type="number" name="diff" min="1" value="${esc(other)}" size="6"></label> <button type="submit">Diff</button></form>`
  );
}

export async function runPage(db: Db, q: URLSearchParams): Promise<Page> {
  const id = Number(q.get('id'));
  const run = Number.isInteger(id) ? await getRun(db, id) : undefined;
  if (!run) return { title: 'No such run', live: `<p class="error">${esc(`run ${q.get('id') ?? ''}: no such run in this store`)}</p>`, status: 404 };
  const diffId = q.get('diff')?.trim() ?? '';
  const other = diffId ? await getRun(db, Number(diffId)) : undefined;
  const history = (await metricHistory(db, run.id)).map(({ step, name, value }) => ({ step, name, value }));
  const figures = await metricFigures({ runs: [run], histories: new Map([[run.id, history]]), label: (r) => `#${r.id} ${r.model}`, idPrefix: `run${run.id}` });
  const gradients = await gradientBlocks(db, run);
  const diff = !diffId
    ? ''
    : !other
      ? `<p class="error">${esc(`run ${diffId}: no such run in this store`)}</p>`
      : (() => {
          const rows = configDiff(run, other);
          return rows.length
            ? `<div class="config-diff">${tableHtml({ header: ['key', `run ${run.id}`, `run ${other.id}`], rows })}</div>`
            : `<p>${esc(`Runs ${run.id} and ${other.id} have the same config.`)}</p>`;
        })();
  const live = [
    `<h1>Run ${run.id}: ${esc(run.model)} on ${esc(run.task)} <span class="status ${esc(run.status)}">${esc(run.status)}</span></h1>`,
    `<section${run.status === 'running' ? ' data-running' : ''}>`,
    tableHtml({ header: ['', 'run'], rows: facts(run) }),
    '</section>',
    '<h2>Metrics</h2>',
    figures.length ? `<div class="figures">${figures.map(blockHtml).join('\n')}</div>` : '<p class="note">No metrics logged yet.</p>',
    ...(gradients ? ['<h2>Gradient flow</h2>', ...gradients.map(blockHtml)] : []),
    '<h2>Config</h2>',
    diff,
    `<pre class="config">${esc(stringify(run.config))}</pre>`,
  ].join('\n');
  return { title: `Run ${run.id}`, top: `<p class="back">${link('/', '← runs')}</p>${diffForm(run, diffId)}`, live };
}
