// Semantic checks of a resolved config, run before any data is loaded or any step trained:
// types and ranges of the keys every run reads. Task-specific keys are checked by their task.
import { UserError } from '../util/errors.js';
import type { Value } from './overrides.js';
import { getPath, type Tree } from './tree.js';
import { CELLS, ENGINES } from '../kernels/contract.js';
import { INITIALIZERS } from '../models/initializers.js';

export interface Config {
  seed: number;
  backend: string;
  train: {
    batch_size: number;
    steps: number;
    eval_every: number;
    log_every: number;
    target: number | null;
    patience?: number | null;
    plateau?: number | null;
    plateau_min_improvement?: number;
    diverge_factor?: number | null;
    checkpoint_every?: number | null;
    checkpoint_keep?: number;
    [k: string]: Value | undefined;
  };
  task: { name: string; [k: string]: Value };
  model: {
    name: string;
    cell: string;
    init: string;
    hidden: number;
    layers: number;
    bidirectional: boolean;
    engine: string;
    identity_scale?: number;
    input_std?: number;
    recurrent_std?: number;
    forget_bias?: number;
    [k: string]: Value | undefined;
  };
  optimizer: { name: string; lr: number; clip: number | null; lr_half_life?: number | null; [k: string]: Value | undefined };
  [k: string]: unknown;
}

type Rule = 'int>=0' | 'int>0' | 'number' | 'number>0' | 'number>=0' | 'boolean' | 'string' | readonly (string | boolean)[];

function fail(key: string, want: string, v: unknown): never {
  const shown = typeof v === 'string' ? `'${v}'` : typeof v === 'number' ? String(v) : JSON.stringify(v);
  throw new UserError(`${key}: expected ${want}, got ${shown}`);
}

/** Checks one key against a rule; `optional` keys may be absent, `nullable` ones may be null. */
export function need(tree: object, key: string, rule: Rule, o: { optional?: boolean; nullable?: boolean } = {}): void {
  const { exists, value: v } = getPath(tree as Tree, key);
  if (!exists) {
    if (o.optional) return;
    throw new UserError(`${key}: missing (every run needs it)`);
  }
  if (v === null && o.nullable) return;
  if (Array.isArray(rule)) {
    if (!(rule as readonly unknown[]).includes(v)) fail(key, `one of ${rule.join(', ')}`, v);
    return;
  }
  switch (rule) {
    case 'int>=0':
      if (!Number.isInteger(v) || (v as number) < 0) fail(key, 'a whole number >= 0', v);
      return;
    case 'int>0':
      if (!Number.isInteger(v) || (v as number) <= 0) fail(key, 'a whole number > 0', v);
      return;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(key, 'a number', v);
      return;
    case 'number>0':
      if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) fail(key, 'a number > 0', v);
      return;
    case 'number>=0':
      if (typeof v !== 'number' || !Number.isFinite(v) || !(v >= 0)) fail(key, 'a number >= 0', v);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') fail(key, 'true or false', v);
      return;
    case 'string':
      if (typeof v !== 'string' || v === '') fail(key, 'a name', v);
      return;
  }
}

// Cell and engine names come from the kernels' contract and initialisers from their registry:
// both are light modules, so a config is checked without loading tfjs.
const INITS = Object.keys(INITIALIZERS);

/** Every number anywhere in a config is finite: YAML's .inf and .nan, and literals that overflow
 *  (1e400), are type errors, whatever key holds them. */
export function checkFinite(v: unknown, key = ''): void {
  if (typeof v === 'number' && !Number.isFinite(v)) {
    throw new UserError(`${key}: expected a finite number, got ${v} (inf and nan are numbers; quoted, 'nan' is text)`);
  }
  if (Array.isArray(v)) v.forEach((x) => checkFinite(x, key));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) checkFinite(x, key ? `${key}.${k}` : k);
  }
}
// Mirrors the scheduler registry in launch/scheduler.ts.
export const SCHEDULERS = ['grid', 'asha'] as const;

/** Checks the keys shared by every run and narrows the tree to a Config. */
export function validate(tree: Tree, known: { tasks: string[]; optimizers: string[]; backends: readonly string[] }): Config {
  checkFinite(tree);
  need(tree, 'seed', 'int>=0');
  need(tree, 'backend', known.backends);
  need(tree, 'train.batch_size', 'int>0');
  need(tree, 'train.steps', 'int>=0');
  need(tree, 'train.eval_every', 'int>0');
  need(tree, 'train.log_every', 'int>0');
  need(tree, 'train.target', 'number', { nullable: true });
  need(tree, 'train.patience', 'int>0', { nullable: true });
  need(tree, 'train.plateau', 'number>0', { nullable: true });
  if ((getPath(tree, 'train.plateau').value as number) >= 1) fail('train.plateau', 'a fraction of the steps between 0 and 1', getPath(tree, 'train.plateau').value);
  need(tree, 'train.plateau_min_improvement', 'number>=0');
  need(tree, 'train.diverge_factor', 'number>0', { nullable: true });
  need(tree, 'train.diagnostics', ['auto', true, false], { nullable: true });
  need(tree, 'train.checkpoint_every', 'int>0', { nullable: true });
  need(tree, 'train.checkpoint_keep', 'int>0');
  need(tree, 'sweep.scheduler', SCHEDULERS);
  need(tree, 'sweep.grace', 'int>0');
  need(tree, 'sweep.reduction_factor', 'int>0');
  if ((getPath(tree, 'sweep.reduction_factor').value as number) < 2) fail('sweep.reduction_factor', 'a whole number >= 2', getPath(tree, 'sweep.reduction_factor').value);
  need(tree, 'task.name', known.tasks);
  need(tree, 'model.cell', CELLS);
  need(tree, 'model.init', INITS);
  need(tree, 'model.hidden', 'int>0');
  need(tree, 'model.layers', 'int>0');
  need(tree, 'model.bidirectional', 'boolean');
  need(tree, 'model.engine', ENGINES);
  need(tree, 'model.input_std', 'number>=0');
  need(tree, 'model.identity_scale', 'number', { optional: true });
  need(tree, 'model.recurrent_std', 'number>=0', { optional: true });
  need(tree, 'model.forget_bias', 'number', { optional: true });
  if (getPath(tree, 'model.init').value === 'identity') need(tree, 'model.identity_scale', 'number');
  if (getPath(tree, 'model.init').value === 'gaussian') need(tree, 'model.recurrent_std', 'number>=0');
  need(tree, 'optimizer.name', known.optimizers);
  need(tree, 'optimizer.lr', 'number>=0');
  need(tree, 'optimizer.clip', 'number>0', { nullable: true });
  need(tree, 'optimizer.lr_half_life', 'number>0', { nullable: true, optional: true });
  return tree as unknown as Config;
}
