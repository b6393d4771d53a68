// The report's gradient-flow panel for one task: per model, a heat-map of log10 ‖∂L/∂h_t‖ over
// (training step, lag), then the final profiles side by side as lines and the spectral radius of
// the recurrent matrix over training. One run per model (the best finished run that stored
// diagnostics), layer 1, forward direction. `loadGradients` reads the store once per report.
import type { TopLevelSpec } from 'vega-lite';
import type { Db } from '../store/db.js';
import { decadesFallen, diagnosticsOf, type StoredDiagnostic } from '../store/diagnostics.js';
import type { RunRecord } from '../store/runs.js';
import { modelColour, renderSvg } from './plots.js';
import type { TaskGroup } from './queries.js';
import type { Block } from './render.js';

/** At most this many lag rows and evaluation columns per heat-map (bins average log10 values). */
const MAX_LAG_BINS = 60;
const MAX_STEPS = 40;

// What loadGradients read, per run of the report (kept with the run objects of this report only).
const loaded = new WeakMap<RunRecord, StoredDiagnostic[]>();

/** The run shown for a model: finished before unfinished, then the best main metric, then the
 *  lowest id. */
function representative(runs: RunRecord[]): RunRecord | undefined {
  const score = (r: RunRecord) => {
    const main = r.taskInfo?.['main_metric'] as { name?: string; goal?: string } | undefined;
    const v = main?.name ? r.metrics[main.name] : undefined;
    return typeof v === 'number' && Number.isFinite(v) ? (main!.goal === 'max' ? -v : v) : Infinity;
  };
  return [...runs].sort((a, b) => Number(b.status === 'finished') - Number(a.status === 'finished') || score(a) - score(b) || a.id - b.id)[0];
}

/** Reads the profiles the panels need: for each task and model, the representative among the
 *  runs that stored diagnostics (layer 0, forward direction). */
export async function loadGradients(db: Db, runs: RunRecord[]): Promise<void> {
  const measured = await diagnosticsOf(db, runs.map((r) => r.id), ['spectral_radius']);
  const byTaskModel = new Map<string, RunRecord[]>();
  for (const r of runs.filter((x) => measured.get(x.id)!.length > 0)) {
    const k = JSON.stringify([r.task, r.model]);
    byTaskModel.set(k, [...(byTaskModel.get(k) ?? []), r]);
  }
  const chosen = [...byTaskModel.values()].map(representative).filter((r): r is RunRecord => r !== undefined);
  const rows = await diagnosticsOf(db, chosen.map((r) => r.id), ['grad_h', 'spectral_radius']);
  for (const r of chosen) loaded.set(r, rows.get(r.id)!.filter((x) => x.layer === 0 && x.direction === 0));
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** Evenly spaced picks of at most n items, always keeping the first and the last. */
function thin<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  return Array.from({ length: n }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (n - 1))]!);
}

interface Shown {
  model: string;
  run: RunRecord;
  rows: StoredDiagnostic[];
}

function heatRows(s: Shown) {
  const grads = s.rows.filter((r) => r.quantity === 'grad_h');
  const steps = thin([...new Set(grads.map((r) => r.step))].sort((a, b) => a - b), MAX_STEPS);
  const T = Math.max(...grads.map((r) => r.lag));
  const width = Math.ceil(T / MAX_LAG_BINS);
  const out: Array<{ model: string; step: string; lo: number; hi: number; value: number | null }> = [];
  for (const step of steps) {
    const at = grads.filter((r) => r.step === step);
    for (let lo = 1; lo <= T; lo += width) {
      const hi = Math.min(T, lo + width - 1);
      const logs = at.filter((r) => r.lag >= lo && r.lag <= hi && r.value !== null && r.value > 0).map((r) => Math.log10(r.value!));
      // null: every value of the bin is 0, i.e. below float32's range.
      out.push({ model: s.model, step: String(step), lo: lo - 0.5, hi: hi + 0.5, value: logs.length ? logs.reduce((a, b) => a + b, 0) / logs.length : null });
    }
  }
  return out;
}

function panelSpec(task: string, shown: Shown[]): TopLevelSpec {
  const models = shown.map((s) => s.model);
  const colour = { field: 'model', type: 'nominal', title: 'model', scale: { domain: models, range: models.map(modelColour) }, sort: models };
  const steps = [...new Set(shown.flatMap((s) => heatRows(s).map((r) => Number(r.step))))].sort((a, b) => a - b).map(String);
  const heat = {
    data: { values: shown.flatMap(heatRows) },
    facet: { column: { field: 'model', type: 'nominal', title: null, sort: models } },
    spec: {
      width: Math.max(140, Math.min(260, 560 / shown.length)),
      height: 170,
      encoding: {
        x: { field: 'step', type: 'ordinal', title: 'training step', sort: steps, axis: { labelAngle: -45, labelOverlap: true } },
        y: { field: 'lo', type: 'quantitative', title: 'lag (1 = last step)', scale: { zero: false, nice: false } },
        y2: { field: 'hi' },
      },
      layer: [
        { transform: [{ filter: 'datum.value === null' }], mark: { type: 'rect', color: '#bdbdbd' } },
        {
          transform: [{ filter: 'datum.value !== null' }],
          mark: { type: 'rect' },
          encoding: { color: { field: 'value', type: 'quantitative', title: 'log10 ‖∂L/∂h_t‖', scale: { scheme: 'viridis' }, legend: { titleLimit: 200 } } },
        },
      ],
    },
    resolve: { scale: { color: 'shared', x: 'independent' } },
  };
  const last = shown.flatMap((s) => {
    const step = Math.max(...s.rows.filter((r) => r.quantity === 'grad_h').map((r) => r.step));
    return s.rows.filter((r) => r.quantity === 'grad_h' && r.step === step && r.value !== null && r.value > 0).map((r) => ({ model: s.model, lag: r.lag, value: Math.log10(r.value!) }));
  });
  const profile = {
    title: 'final profile',
    width: 300,
    height: 190,
    data: { values: last },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: { field: 'lag', type: 'quantitative', title: 'lag (1 = last step)' },
      y: { field: 'value', type: 'quantitative', title: 'log10 ‖∂L/∂h_t‖', scale: { zero: false } },
      color: colour,
    },
  };
  const radius = {
    title: 'spectral radius of W',
    width: 300,
    height: 190,
    layer: [
      {
        data: { values: shown.flatMap((s) => s.rows.filter((r) => r.quantity === 'spectral_radius' && r.value !== null).map((r) => ({ model: s.model, step: r.step, value: r.value }))) },
        mark: { type: 'line', strokeWidth: 2, point: { size: 20 } },
        encoding: { x: { field: 'step', type: 'quantitative', title: 'training step' }, y: { field: 'value', type: 'quantitative', title: 'spectral radius', scale: { zero: false } }, color: colour },
      },
      { data: { values: [{ one: 1 }] }, mark: { type: 'rule', strokeDash: [5, 4], color: '#555' }, encoding: { y: { field: 'one', type: 'quantitative' } } },
    ],
  };
  return {
    title: `${task}: gradient flow (layer 1, forward direction)`,
    vconcat: [heat, { hconcat: [profile, radius], resolve: { scale: { color: 'shared' } } }],
    resolve: { scale: { color: 'independent' } },
  } as unknown as TopLevelSpec;
}

function fallText(s: Shown): string {
  const grads = s.rows.filter((r) => r.quantity === 'grad_h');
  const step = Math.max(...grads.map((r) => r.step));
  const values = grads.filter((r) => r.step === step).sort((a, b) => a.lag - b.lag).map((r) => r.value);
  const f = decadesFallen(values);
  const what =
    f.decades === null ? 'no comparable values'
    : f.zeroFrom !== null ? `falls more than ${f.decades.toFixed(1)} decades (0 from lag ${f.zeroFrom})`
    : `${f.decades < 0 ? 'rises' : 'falls'} ${Math.abs(f.decades).toFixed(2)} decades`;
  return `${s.model} (run ${s.run.id}, step ${step}): ${what} from lag 1 to lag ${values.length}`;
}

/** The panel of one task's section; empty when none of its runs stored diagnostics. */
export async function gradientBlocks(g: TaskGroup): Promise<Block[]> {
  const shown = g.models.flatMap((m): Shown[] => {
    const run = g.runs.find((r) => r.model === m.model && loaded.has(r));
    const rows = run ? loaded.get(run)! : [];
    return run && rows.some((r) => r.quantity === 'grad_h') ? [{ model: m.model, run, rows }] : [];
  });
  if (!shown.length) return [];
  const id = `${slug(g.task)}-gradients`;
  const caption =
    'How much of the loss gradient reaches each lag, on a fixed probe batch at every evaluation: ‖∂L/∂h_t‖ of the first ' +
    'layer\'s forward direction, lag 1 being the last step. Grey cells: the gradient is exactly 0 there (below float32\'s ' +
    'range). Lines: the last evaluation\'s profile (zeros left out). Right: the spectral radius of the recurrent matrix ' +
    '(the candidate block for the LSTM and GRU); dashed at 1. ' +
    `${shown.map(fallText).join('; ')}. Every layer and direction: irnn runs show ID.`;
  return [{ kind: 'h3', text: 'Gradient flow' }, { kind: 'figure', figure: { id, caption, svg: await renderSvg(panelSpec(g.task, shown), id) } }];
}
