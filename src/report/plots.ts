// The report's figures as vega-lite specs, compiled with vega-lite and rendered to SVG text by
// vega's headless View in Node (no canvas, no browser, no network). Colours are fixed per model
// name so a model looks the same in every figure of every report. Specs only; no statistics here.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CurvePoint } from './stats.js';

/** One colour per model name, the same in every report. */
export const MODEL_COLOURS: Record<string, string> = {
  irnn: '#d1495b',
  rnn_relu: '#edae49',
  rnn_tanh: '#66a182',
  lstm: '#00798c',
  gru: '#6d597a',
};
const SPARE = ['#8d6a9f', '#c17c74', '#5b8e7d', '#bc4b51', '#3d5a80', '#a47e3b'];

const hash = (s: string) => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 0);

/** How far a variant's shade moves from its model's colour (negative: darker): bidirectional
 *  darker, unidirectional lighter, and further the more layers; with only the depth varying,
 *  deeper is darker. */
function variantShade(label: string): number {
  const layers = /(\d+) layers?/.exec(label);
  const n = layers ? Number(layers[1]) : null;
  const sign = /unidirectional/.test(label) ? 1 : /bidirectional/.test(label) ? -1 : n !== null && n >= 3 ? -1 : 1;
  return sign * (n === null ? 0.3 : n <= 2 ? 0.2 : 0.45);
}

/** A model's colour; a variant ("lstm · 5 layers, bidirectional") gets a lighter or darker shade of
 *  its model's colour, fixed by its label, so that the variants of one model stay recognisable. */
export function modelColour(model: string): string {
  if (MODEL_COLOURS[model]) return MODEL_COLOURS[model];
  const sep = model.indexOf(' · ');
  if (sep > 0) {
    const base = modelColour(model.slice(0, sep));
    const mix = variantShade(model.slice(sep));
    const target = mix < 0 ? 0 : 255;
    const channel = (i: number) => {
      const c = parseInt(base.slice(1 + 2 * i, 3 + 2 * i), 16);
      return Math.round(c + (target - c) * Math.abs(mix)).toString(16).padStart(2, '0');
    };
    return `#${channel(0)}${channel(1)}${channel(2)}`;
  }
  return SPARE[hash(model) % SPARE.length]!;
}

const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelColor: '#444', titleColor: '#222', gridColor: '#eee', domainColor: '#888', tickColor: '#888', titleFontWeight: 'normal' as const },
  legend: { labelColor: '#333', titleColor: '#222', titleFontWeight: 'normal' as const },
  header: { labelFontSize: 12, labelColor: '#222' },
};

function colour(models: string[], range: string[] = models.map(modelColour)) {
  return { field: 'model', type: 'nominal' as const, title: 'model', scale: { domain: models, range }, sort: models };
}

/** Renders a vega-lite spec to standalone SVG text. Element ids get `prefix` so that several SVGs
 *  can live inline in one HTML page without their clip paths or gradients colliding. */
export async function renderSvg(spec: TopLevelSpec, prefix: string): Promise<string> {
  const view = new vega.View(vega.parse(compile({ ...spec, config: CONFIG } as TopLevelSpec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // vega numbers gradients and clips with a process-wide counter: renumber them per figure so
    // the same store gives the same bytes however many figures were drawn before.
    const ids = new Map<string, string>();
    for (const m of svg.matchAll(/\bid="([^"]+)"/g)) if (!ids.has(m[1]!)) ids.set(m[1]!, `${prefix}-${ids.size + 1}`);
    const rename = (id: string) => ids.get(id) ?? id;
    return svg
      .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${rename(id)}"`)
      .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${rename(id)})`)
      .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${rename(id)}"`);
  } finally {
    view.finalize();
  }
}

export interface CurveSeries {
  model: string;
  points: CurvePoint[];
}

/** Test metric against step: mean line per model, min..max band over seeds, diverged runs as
 *  crosses where they stopped, and the task's baseline as a dashed rule. */
export function learningCurveSpec(o: {
  title: string;
  metricTitle: string;
  log: boolean;
  models: string[];
  series: CurveSeries[];
  diverged: Array<{ model: string; step: number; value: number; run: number }>;
  baseline: { value: number; label: string } | null;
  /** Colours in the order of `models` (default: each model's own); the dashboard's compare view
   *  gives every run its own. */
  colours?: string[];
  /** The legend's title (default "model"). */
  legendTitle?: string;
}): TopLevelSpec {
  const ok = (v: number) => !o.log || v > 0;
  const rows = o.series.flatMap((s) => s.points.filter((p) => ok(p.lo) && ok(p.mean)).map((p) => ({ model: s.model, ...p })));
  const y = { type: 'quantitative' as const, title: o.metricTitle, scale: o.log ? { type: 'log' as const } : { zero: false } };
  const x = { field: 'step', type: 'quantitative' as const, title: 'training step' };
  // One legend for all layers (vega-lite merges them), drawn as line strokes.
  const lineColour = { ...colour(o.models, o.colours), ...(o.legendTitle ? { title: o.legendTitle } : {}), legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 } };
  const layers: unknown[] = [
    { mark: { type: 'area', opacity: 0.18 }, encoding: { x, y: { field: 'lo', ...y }, y2: { field: 'hi' }, color: lineColour } },
    {
      mark: { type: 'line', strokeWidth: 2, point: { size: 24 } },
      encoding: { x, y: { field: 'mean', ...y }, color: lineColour },
    },
  ];
  const crosses = o.diverged.filter((d) => ok(d.value));
  if (crosses.length) {
    layers.push({
      data: { values: crosses },
      mark: { type: 'point', shape: 'cross', size: 90, filled: true, strokeWidth: 1 },
      encoding: { x, y: { field: 'value', ...y }, color: lineColour },
    });
  }
  if (o.baseline && ok(o.baseline.value)) {
    layers.push(
      { data: { values: [{ b: o.baseline.value }] }, mark: { type: 'rule', strokeDash: [5, 4], color: '#555' }, encoding: { y: { field: 'b', ...y } } },
      {
        data: { values: [{ b: o.baseline.value, t: `baseline ${o.baseline.label}` }] },
        mark: { type: 'text', align: 'right', dy: -6, color: '#555', fontSize: 10, x: 'width' },
        encoding: { y: { field: 'b', ...y }, text: { field: 't' } },
      },
    );
  }
  return { title: o.title, width: 420, height: 220, data: { values: rows }, layer: layers } as TopLevelSpec;
}

export interface HeatCell {
  model: string;
  x: string;
  y: string;
  value: number | null;
  text: string;
  /** e.g. "✕ 1 diverged"; empty when none. */
  mark: string;
  dark: boolean;
}

/** Final metric over two swept keys, one panel per model; cells with no finished run are grey
 *  and every cell with diverged runs says how many. */
export function heatmapSpec(o: {
  title: string;
  metricTitle: string;
  xKey: string;
  yKey: string;
  xValues: string[];
  yValues: string[];
  models: string[];
  cells: HeatCell[];
  log: boolean;
  /** Brighter is better: the scale is reversed when lower is better. */
  goal: 'min' | 'max';
}): TopLevelSpec {
  const x = { field: 'x', type: 'ordinal' as const, title: o.xKey, sort: o.xValues, axis: { labelAngle: 0 } };
  const y = { field: 'y', type: 'ordinal' as const, title: o.yKey, sort: o.yValues };
  const positive = o.cells.every((c) => c.value === null || c.value > 0);
  return {
    title: o.title,
    data: { values: o.cells },
    facet: { column: { field: 'model', type: 'nominal', title: null, sort: o.models } },
    spec: {
      width: Math.max(60, 62 * o.xValues.length),
      height: Math.max(30, 30 * o.yValues.length),
      layer: [
        { mark: { type: 'rect', fill: '#e6e6e6', stroke: '#fff' }, encoding: { x, y } },
        {
          transform: [{ filter: 'datum.value !== null' }],
          mark: { type: 'rect', stroke: '#fff' },
          encoding: {
            x,
            y,
            color: {
              field: 'value',
              type: 'quantitative',
              title: o.metricTitle,
              legend: { format: '.3~g', titleLimit: 240, gradientLength: Math.max(60, 30 * o.yValues.length) },
              scale: { scheme: 'viridis', reverse: o.goal === 'min', type: o.log && positive ? 'log' : 'linear' },
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 10, dy: -5 },
          encoding: { x, y, text: { field: 'text' }, color: { condition: { test: 'datum.dark', value: '#fff' }, value: '#111' } },
        },
        { mark: { type: 'text', fontSize: 9, dy: 7, color: '#b00020', fontWeight: 'bold' }, encoding: { x, y, text: { field: 'mark' } } },
      ],
    },
    resolve: { scale: { color: 'shared' } },
  } as unknown as TopLevelSpec;
}

/** Median training steps per second, one bar per model x backend x engine. */
export function speedSpec(o: { title: string; models: string[]; rows: Array<{ label: string; model: string; stepsPerSec: number; text: string }> }): TopLevelSpec {
  const y = { field: 'label', type: 'nominal' as const, title: null, sort: o.rows.map((r) => r.label), axis: { labelLimit: 320 } };
  const x = { field: 'stepsPerSec', type: 'quantitative' as const, title: 'median steps per second' };
  return {
    title: o.title,
    width: 360,
    height: { step: 22 },
    data: { values: o.rows },
    layer: [
      { mark: { type: 'bar', height: 14 }, encoding: { y, x, color: { ...colour(o.models), legend: null } } },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' }, encoding: { y, x, text: { field: 'text' } } },
    ],
  } as unknown as TopLevelSpec;
}
