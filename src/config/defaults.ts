// The defaults list: which option of each config group a run composes and where its keys go
// (its package), and the command line's changes to it, as Hydra makes them: `model=lstm` picks
// another option of a group in the list, `+group=option` adds one that is not, `~group[=option]`
// removes one, `group@pkg` names an entry placed at `pkg`. A subfolder of a group is part of the
// option's name: `experiment/paper=adding` is `experiment=paper/adding`. Reads no config file.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { Override, Value } from './overrides.js';
import { isMapping } from './tree.js';

export interface Entry {
  group: string;
  option: string;
  /** Dotted path the option's keys go to; '' is the top level. */
  package: string;
}

/** The experiment preset applies at the top level (Hydra's `# @package _global_`); every other
 *  group's option goes into the section named after the group. */
export const defaultPackage = (group: string): string => (group === 'experiment' ? '' : group);

/** How an entry is named in choices and error messages: `model`, or `model@teacher` elsewhere. */
export const entryKey = (e: { group: string; package: string }): string =>
  e.package === defaultPackage(e.group) ? e.group : `${e.group}@${e.package || '_global_'}`;

/** Reads a defaults list: entries `group: option` or `override /group: option`. */
export function readDefaults(list: Value | undefined, where: string): Entry[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new UserError(`${where}: 'defaults' must be a list`);
  return list.map((entry) => {
    if (!isMapping(entry) || Object.keys(entry).length !== 1) {
      throw new UserError(`${where}: each defaults entry must be 'group: option'`);
    }
    const [k, v] = Object.entries(entry)[0]!;
    const group = k.replace(/^override\s+/, '').replace(/^\//, '');
    return { group, option: String(v), package: defaultPackage(group) };
  });
}

/** The group an override key names (`model`, or `experiment/paper` = group experiment, options
 *  under paper/), or null for a config key. */
export function groupOf(key: string, groups: string[], root: string): { group: string; prefix: string } | null {
  const [group, ...sub] = key.split('/');
  if (!groups.includes(group!)) {
    if (sub.length) throw new UserError(`${key}: no config group '${group}' (groups: ${groups.join(', ')})`);
    return null;
  }
  const dir = join(root, key);
  if (sub.length && !(existsSync(dir) && statSync(dir).isDirectory())) {
    throw new UserError(`${key}: no folder ${key}/ in the config group ${group}`);
  }
  return { group: group!, prefix: sub.length ? `${sub.join('/')}/` : '' };
}

/** Applies one group override of the command line to the entries (keyed by entryKey). */
export function applyGroupOverride(entries: Map<string, Entry>, o: Override, g: { group: string; prefix: string }, options: () => string[]): void {
  const pkg = o.package === undefined ? defaultPackage(g.group) : o.package === '_global_' ? '' : o.package;
  if (g.group === 'experiment' && pkg !== '') {
    throw new UserError(`${o.text}: an experiment preset applies to the whole config; drop '@${o.package}'`);
  }
  const key = entryKey({ group: g.group, package: pkg });
  const current = entries.get(key);
  const named = o.key === g.group ? key : `${o.key}${key.slice(g.group.length)}`;
  if (o.op === 'delete') {
    if (!current) throw new UserError(`${o.text}: no ${key} in the defaults list to remove`);
    const want = o.value === undefined ? undefined : `${g.prefix}${String(o.value)}`;
    if (want !== undefined && want !== current.option) throw new UserError(`${o.text}: ${key} is ${current.option}, not ${want}`);
    entries.delete(key);
    return;
  }
  if (o.op === 'force') {
    throw new UserError(`${o.text}: '++' adds or sets a config value, not a group option; use ${named}=VALUE to pick another option, +${named}=VALUE to add one`);
  }
  if (Array.isArray(o.value)) {
    throw new UserError(`${o.text}: picking several options of a group at once is not supported; sweep them instead: ${named}=${o.value.join(',')} with irnn sweep`);
  }
  if (typeof o.value !== 'string' || o.value === '') {
    const hint = o.value === null ? `; remove the group with ~${named}` : '';
    throw new UserError(`${named}: expected an option name; valid: ${options().join(', ')}${hint}`);
  }
  const option = `${g.prefix}${o.value}`;
  if (o.op === 'add') {
    if (current) throw new UserError(`${o.text}: ${key} is already in the defaults list (${current.option}); pick another option with ${named}=${o.value}`);
    entries.set(key, { group: g.group, option, package: pkg });
    return;
  }
  if (!current) throw new UserError(`${o.text}: ${key} is not in the defaults list; add it with +${o.text}`);
  entries.set(key, { ...current, option });
}
