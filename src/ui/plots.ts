// Metric histories as figures, drawn by the report's plotting module (vega-lite -> SVG in Node):
// one figure per metric, each run a line, a log axis for errors and losses when every value is
// positive. Used by the run page (one run) and the compare view (several runs, one colour each).
import type { RunRecord } from '../store/runs.js';
import { LOG_METRICS, metricLabel, taskMeta } from '../report/metrics.js';
import { learningCurveSpec, modelColour, renderSvg } from '../report/plots.js';
import type { History } from '../report/queries.js';
import type { Block } from '../report/render.js';

/** One colour per compared run (Tableau 10), in the order the runs were picked. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Metric names in reading order: the selecting and reported metrics first, then the other
 *  train_ / valid_ / test_ metrics, then the rest (timing: ms_per_step, steps_per_sec, ...). */
export function metricOrder(runs: RunRecord[], histories: Map<number, History>): string[] {
  const names = [...new Set(runs.flatMap((r) => (histories.get(r.id) ?? []).map((h) => h.name)))];
  const meta = runs.length ? taskMeta(runs) : null;
  const rank = (n: string) => (n === meta?.select ? 0 : n === meta?.metric ? 1 : /^(train|valid|test)_/.test(n) ? 2 : 3);
  return names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
}

export async function metricFigures(o: { runs: RunRecord[]; histories: Map<number, History>; label: (r: RunRecord) => string; idPrefix: string }): Promise<Block[]> {
  const labels = o.runs.map(o.label);
  const colours = o.runs.length === 1 ? [modelColour(o.runs[0]!.model)] : o.runs.map((_, i) => PALETTE[i % PALETTE.length]!);
  const meta = o.runs.length ? taskMeta(o.runs) : null;
  const blocks: Block[] = [];
  for (const name of metricOrder(o.runs, o.histories)) {
    const series = o.runs.map((r, i) => ({
      model: labels[i]!,
      points: (o.histories.get(r.id) ?? [])
        .filter((h) => h.name === name && h.value !== null && Number.isFinite(h.value))
        .map((h) => ({ step: h.step, mean: h.value!, lo: h.value!, hi: h.value!, n: 1 })),
    }));
    const values = series.flatMap((s) => s.points.map((p) => p.mean));
    if (!values.length) continue;
    const log = LOG_METRICS.test(name) && values.every((v) => v > 0);
    const spec = learningCurveSpec({
      title: metricLabel(name),
      metricTitle: name,
      log,
      models: labels,
      colours,
      legendTitle: 'run',
      series,
      diverged: [],
      baseline: meta && name === meta.metric ? meta.baseline : null,
    });
    const id = `${o.idPrefix}-${name.replace(/[^a-z0-9]+/gi, '-')}`;
    blocks.push({ kind: 'figure', figure: { id, caption: `${name}${log ? ' (log scale)' : ''}`, svg: await renderSvg(spec, id) } });
  }
  return blocks;
}
