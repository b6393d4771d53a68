// Launcher settings (`launcher.*` in experiments/launcher/*.yaml) read from a composed config, the
// same for every job of a sweep. Plain data: which launcher, and its keys as the YAML names them.
import type { Config } from '../config/index.js';
import { UserError } from '../util/errors.js';

/** Mirrors the LAUNCHERS registry (launchers.ts), which loads the engines' clients. */
export const LAUNCHER_NAMES = ['local', 'slurm', 'redis'] as const;
export type LauncherName = (typeof LAUNCHER_NAMES)[number];

export interface LauncherSettings {
  name: LauncherName;
  [key: string]: string | number | boolean | null;
}

/** The launcher section of a composed config (a config from before launchers existed: local). */
export function launcherSettings(cfg: Config): LauncherSettings {
  const s = (cfg['launcher'] ?? { name: 'local' }) as LauncherSettings;
  if (!LAUNCHER_NAMES.includes(s.name)) throw new UserError(`launcher.name: expected one of ${LAUNCHER_NAMES.join(', ')}, got '${String(s.name)}'`);
  return s;
}

/** A typed read of one launcher key; a value of the wrong type is a user error naming the key. */
export function setting<T extends 'string' | 'number'>(
  s: LauncherSettings,
  key: string,
  type: T,
  o: { nullable?: boolean } = {},
): (T extends 'string' ? string : number) | null {
  const v = s[key];
  if (v === null || v === undefined) {
    if (o.nullable) return null;
    throw new UserError(`launcher.${key}: missing (launcher ${s.name} needs it)`);
  }
  if (typeof v !== type || (type === 'number' && !(Number(v) >= 0))) throw new UserError(`launcher.${key}: expected ${type === 'number' ? 'a number >= 0' : 'a string'}, got ${JSON.stringify(v)}`);
  return v as never;
}
