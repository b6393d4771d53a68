// Config entry point: compose experiments/ with overrides, resolve ${...}, check the keys every
// run needs, and name the run (a hash of the resolved config). Nothing here trains or stores.
import { createHash } from 'node:crypto';
import { TASK_NAMES } from '../tasks/names.js';
import { BACKENDS } from './backends.js';
import { compose, groupOptions, type Composed } from './compose.js';
import { interpolate } from './interpolate.js';
import { ADDED_KEYS } from './added-keys.js';
import { checkMemory } from './memory.js';
import { validate, type Config } from './schema.js';
import { canonicalJson, type Tree } from './tree.js';

export type { Config } from './schema.js';

export interface ResolvedConfig {
  config: Config;
  choices: Composed['choices'];
  /** The experiment preset's own sweep, if any (used by `irnn sweep`). */
  sweep: Composed['sweep'];
  overrides: string[];
}

/** Keys that change how a run is shown, stored, scheduled, described or measured alongside, never
 *  what it computes (its metrics): left out of the run's hash (`sweep` is the whole section of
 *  sweep-scheduler settings, `budget` a preset's statement of its cost, `launcher` where a sweep's
 *  jobs run: a run is recognised whichever launcher trained it). */
const COSMETIC = ['train.log_every', 'train.diagnostics', 'train.checkpoint_every', 'train.checkpoint_keep', 'sweep', 'budget', 'launcher'];

export function composeConfig(opts: { overrides: string[]; root?: string }): ResolvedConfig {
  const composed = compose(opts);
  const tree = interpolate(composed.tree);
  const config = validate(tree, {
    tasks: [...TASK_NAMES],
    // The optimizer files are the list of names (train/optimizers.ts maps each to tfjs), so
    // composing a config never loads tfjs.
    optimizers: groupOptions('optimizer', opts.root),
    backends: BACKENDS,
  });
  checkMemory(config); // before anything is loaded or stored: sizes no machine holds are refused
  return { config, choices: composed.choices, sweep: composed.sweep, overrides: opts.overrides };
}

/** The run identity: sha256 of the resolved config (which includes the seed), cosmetic keys removed. */
export function configHash(config: Config): string {
  const copy = structuredClone(config) as unknown as Tree;
  const drop = (key: string, when?: (v: unknown) => boolean) => {
    const path = key.split('.');
    const last = path.pop()!;
    const section = path.reduce<Tree | undefined>((t, k) => t?.[k] as Tree | undefined, copy);
    if (section && (!when || when(section[last]))) delete section[last];
  };
  for (const key of COSMETIC) drop(key);
  for (const [key, value] of Object.entries(ADDED_KEYS)) drop(key, (v) => v === value);
  return createHash('sha256').update(canonicalJson(copy)).digest('hex').slice(0, 16);
}
