// Launcher settings (`launcher.*` in experiments/launcher/*.yaml) read from a composed config, the
// same for every job of a sweep. Plain data: which launcher, and its keys as the YAML names them,
// checked when read: a SLURM value reaches a batch script, so it must have SLURM's own format.
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
  CHECKS[s.name](s);
  return s;
}

/** SLURM's formats (sbatch(1)) for the keys that become `#SBATCH` options: each value is one
 *  token of the script, never a line or an option of its own. */
const SLURM_FORMATS: Record<string, { re: RegExp; what: string }> = {
  partition: { re: /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/, what: 'a partition name, or a comma-separated list of them' },
  time: {
    re: /^(\d+(:\d{1,2}){0,2}|\d+-\d{1,2}(:\d{1,2}){0,2}|UNLIMITED|INFINITE)$/,
    what: 'minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS',
  },
  mem: { re: /^\d+[KMGT]?$/i, what: 'a size in megabytes, or with a unit K, M, G or T (e.g. 2G)' },
  cpus_per_task: { re: /^[1-9]\d*$/, what: 'a whole number of CPUs, at least 1' },
};
/** Characters no path in a batch script may hold (it is quoted, so spaces are fine). */
const UNSAFE_PATH = /["\\$`\x00-\x1f\x7f]/;

function checkSlurm(s: LauncherSettings): void {
  for (const [key, f] of Object.entries(SLURM_FORMATS)) {
    const v = s[key];
    if (v === null || v === undefined || v === '') continue;
    if (typeof v === 'boolean' || !f.re.test(String(v))) throw new UserError(`launcher.${key}: expected ${f.what}, got ${JSON.stringify(v)}`);
  }
  for (const key of ['dir', 'scratch']) {
    const v = s[key];
    if (typeof v === 'string' && UNSAFE_PATH.test(v)) throw new UserError(`launcher.${key}: a path without quotes, backslashes, $, backticks or control characters, got ${JSON.stringify(v)}`);
  }
  for (const x of String(s['extra'] ?? '').split(/\s+/).filter(Boolean)) {
    if (!/^--?[A-Za-z]/.test(x) || /[\x00-\x1f\x7f]/.test(x)) throw new UserError(`launcher.extra: expected sbatch options such as '--account=lab --qos=long', got ${JSON.stringify(x)}`);
  }
}

const CHECKS: Record<LauncherName, (s: LauncherSettings) => void> = {
  local: () => undefined,
  slurm: checkSlurm,
  redis: () => undefined,
};

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
