// The report's reads from the store: which runs (by sweep, task, model, --where), their metric
// histories, and how they group: task -> model -> setting (the config keys that vary between
// runs of one model on one task, seeds merged). Reads only; never writes the store.
import type { Db } from '../store/db.js';
import { listRuns, metricHistory, type RunRecord } from '../store/runs.js';
import { UserError } from '../util/errors.js';
import { canonicalJson } from '../config/tree.js';
import { configValue } from '../config/added-keys.js';
import { filterRuns } from './where.js';
import { PROBLEM_KEYS } from '../tasks/problems.js';

export interface Selection {
  sweep?: number;
  task?: string;
  model?: string;
  where?: string;
}

/** Run ids of a sweep (the sweep tables may not exist in an older store). */
export async function sweepRunIds(db: Db, sweep: number): Promise<number[]> {
  try {
    const rows = await db.all<{ run_id: number | null }>('SELECT run_id FROM sweep_jobs WHERE sweep_id = ? ORDER BY run_id', [sweep]);
    return rows.map((r) => r.run_id).filter((id): id is number => id !== null);
  } catch (e) {
    if (/no such table/.test(String((e as Error).message))) {
      throw new UserError(`--sweep ${sweep}: this store has no sweeps (no sweep_jobs table; run \`irnn sweep\` first)`);
    }
    throw e;
  }
}

export async function selectRuns(db: Db, sel: Selection): Promise<RunRecord[]> {
  const ids = sel.sweep === undefined ? undefined : await sweepRunIds(db, sel.sweep);
  const runs = await listRuns(db, { task: sel.task, model: sel.model, ids });
  return sel.where === undefined ? runs : filterRuns(runs, sel.where);
}

/** One line describing the selection, for the report's header and the empty-selection error. */
export function describeSelection(sel: Selection): string {
  const parts = [
    sel.sweep !== undefined ? `sweep ${sel.sweep}` : '',
    sel.task ? `task ${sel.task}` : '',
    sel.model ? `model ${sel.model}` : '',
    sel.where ? `where ${sel.where}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'all runs';
}

export type History = Array<{ step: number; name: string; value: number | null }>;

export async function loadHistories(db: Db, runs: RunRecord[]): Promise<Map<number, History>> {
  const out = new Map<number, History>();
  for (const r of runs) out.set(r.id, (await metricHistory(db, r.id)).map(({ step, name, value }) => ({ step, name, value })));
  return out;
}

/** Leaves of a config as dotted keys (lists kept whole). */
export function flatten(tree: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, p));
    else out[p] = v;
  }
  return out;
}

/** Keys that never make two runs different settings: the seed (merged into mean ± std), how often
 *  a run logs or checkpoints (a resumed run logs what an uninterrupted one would) and display-only
 *  keys (a preset's budget statement). */
const NOT_SETTINGS = new Set(['seed', 'train.log_every', 'train.checkpoint_every', 'budget']);
const isSetting = (k: string) => !NOT_SETTINGS.has(k) && !NOT_SETTINGS.has(k.split('.')[0]!);

export interface SettingGroup {
  /** e.g. "lr=0.001 clip=1"; "default" when nothing varies. */
  label: string;
  values: Record<string, unknown>;
  runs: RunRecord[];
}
export interface ModelGroup {
  /** The model's label: its name, plus its architecture where that varies among the task's runs
   *  of the model ("lstm · 5 layers, bidirectional"); each architecture is compared on its own. */
  model: string;
  /** The model's name (config group option), e.g. lstm. */
  base: string;
  /** The architecture keys' values (ARCH_KEYS) of this group's runs. */
  arch: Record<string, unknown>;
  settings: SettingGroup[];
}

/** Keys that make a different network rather than a setting of one: the paper compares 2- and
 *  5-layer, uni- and bidirectional networks side by side, and 4 layers of N against 1 of 2N. */
export const ARCH_KEYS = ['model.layers', 'model.bidirectional'] as const;

function archLabel(key: string, v: unknown): string {
  if (key === 'model.layers') return `${String(v)} layer${v === 1 ? '' : 's'}`;
  if (key === 'model.bidirectional') return v ? 'bidirectional' : 'unidirectional';
  return `${key}=${fmtSettingValue(v)}`;
}

/** The task's runs of each model, split by the architecture keys that vary among them. */
function modelGroups(runs: RunRecord[]): Array<Omit<ModelGroup, 'settings'> & { runs: RunRecord[] }> {
  const names = [...new Set(runs.map((r) => r.model))];
  return names.flatMap((base) => {
    const mine = runs.filter((r) => r.model === base);
    const arch = (r: RunRecord) => Object.fromEntries(ARCH_KEYS.map((k) => [k, flatten(r.config)[k]]));
    const varying = ARCH_KEYS.filter((k) => new Set(mine.map((r) => canonicalJson(arch(r)[k] ?? null))).size > 1);
    const byArch = new Map<string, RunRecord[]>();
    for (const r of mine) {
      const id = canonicalJson(varying.map((k) => arch(r)[k] ?? null));
      byArch.set(id, [...(byArch.get(id) ?? []), r]);
    }
    return [...byArch.values()].map((rs) => {
      const a = arch(rs[0]!);
      const model = varying.length ? `${base} · ${varying.map((k) => archLabel(k, a[k])).join(', ')}` : base;
      return { model, base, arch: a, runs: rs };
    });
  }).sort((x, y) => compareModels(x.base, y.base) || compareValues(ARCH_KEYS.map((k) => x.arch[k]), ARCH_KEYS.map((k) => y.arch[k])));
}
export interface TaskGroup {
  task: string;
  /** The problem within the task, from the keys that define it and vary in the selection, e.g.
   *  "seq_len=150"; '' when every run of the task solves the same problem. */
  problem: string;
  /** "adding (seq_len=150)": headings, figure titles and file names. */
  title: string;
  runs: RunRecord[];
  models: ModelGroup[];
  /** Keys that vary within some model's runs of this task, sorted. */
  varying: string[];
  /** Run id -> its model group's label. */
  modelOf: Map<number, string>;
}

const MODEL_ORDER = ['irnn', 'rnn_relu', 'rnn_tanh', 'lstm', 'gru'];
/** Model labels in a fixed order by model name (irnn first), then by the rest of the label. */
export function compareModels(a: string, b: string): number {
  const base = (x: string) => x.split(' · ')[0]!;
  const ia = MODEL_ORDER.indexOf(base(a));
  const ib = MODEL_ORDER.indexOf(base(b));
  if (ia !== ib) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Keys whose value differs between runs. A key that only some runs have (a group's own default,
 *  such as adam's beta1 next to sgd runs) counts only if it takes two values where it is set. */
export function varyingKeys(runs: RunRecord[]): string[] {
  const flat = runs.map((r) => flatten(r.config));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter(isSetting);
  return keys.filter((k) => new Set(flat.filter((f) => k in f).map((f) => canonicalJson(f[k]))).size > 1).sort();
}

/** Short names for keys (`optimizer.lr` -> `lr`) where the last part is unambiguous. */
export function shortKeys(keys: string[]): Map<string, string> {
  const last = (k: string) => k.slice(k.lastIndexOf('.') + 1);
  return new Map(keys.map((k) => [k, keys.filter((o) => last(o) === last(k)).length === 1 ? last(k) : k]));
}

export function fmtSettingValue(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? 'unset' : JSON.stringify(v);
}

/** Runs by task and, within a task, by problem (src/tasks/problems.ts): runs that solve different
 *  problems are never ranked against each other. Groups are sorted by task, then problem values. */
export function groupRuns(runs: RunRecord[]): TaskGroup[] {
  const byTask = new Map<string, RunRecord[]>();
  for (const r of runs) byTask.set(r.task, [...(byTask.get(r.task) ?? []), r]);
  return [...byTask.keys()].sort().flatMap((task) => {
    const taskRuns = byTask.get(task)!;
    const name = String((taskRuns[0]!.config['task'] as Record<string, unknown> | undefined)?.['name'] ?? task);
    const defining = (PROBLEM_KEYS[name] ?? []).filter((k) => new Set(taskRuns.map((r) => canonicalJson(configValue(flatten(r.config), k) ?? null))).size > 1);
    const short = shortKeys(defining);
    const byProblem = new Map<string, { values: unknown[]; runs: RunRecord[] }>();
    for (const r of taskRuns) {
      const values = defining.map((k) => configValue(flatten(r.config), k));
      const id = canonicalJson(values.map((v) => v ?? null));
      const g = byProblem.get(id) ?? { values, runs: [] };
      g.runs.push(r);
      byProblem.set(id, g);
    }
    return [...byProblem.values()]
      .sort((a, b) => compareValues(a.values, b.values))
      .map(({ values, runs: pr }) => {
        const problem = defining.map((k, i) => `${short.get(k)}=${fmtSettingValue(values[i])}`).join(' ');
        const perModel = modelGroups(pr);
        const varying = [...new Set(perModel.flatMap((m) => varyingKeys(m.runs)))].sort();
        return {
          task,
          problem,
          title: problem ? `${task} (${problem})` : task,
          runs: pr,
          varying,
          models: perModel.map(({ runs: mr, ...m }) => ({ ...m, settings: groupSettings(mr, varyingKeys(mr)) })),
          modelOf: new Map(perModel.flatMap((m) => m.runs.map((r) => [r.id, m.model] as const))),
        };
      });
  });
}

function groupSettings(runs: RunRecord[], keys: string[]): SettingGroup[] {
  const short = shortKeys(keys);
  const groups = new Map<string, SettingGroup>();
  for (const r of runs) {
    const flat = flatten(r.config);
    const values = Object.fromEntries(keys.map((k) => [k, flat[k]]));
    const id = canonicalJson(keys.map((k) => values[k] ?? null));
    const label = keys.length ? keys.map((k) => `${short.get(k)}=${fmtSettingValue(values[k])}`).join(' ') : 'default';
    const g = groups.get(id) ?? { label, values, runs: [] };
    g.runs.push(r);
    groups.set(id, g);
  }
  return [...groups.values()].sort((a, b) => compareValues(keys.map((k) => a.values[k]), keys.map((k) => b.values[k])));
}

/** Numbers numerically, everything else by its text; null/unset first. */
export function compareValues(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === null || x === undefined) return -1;
    if (y === null || y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    const sx = fmtSettingValue(x);
    const sy = fmtSettingValue(y);
    if (sx !== sy) return sx < sy ? -1 : 1;
  }
  return 0;
}
