// Composes a run config from experiments/: the root config.yaml's defaults list picks one option
// per group, an optional +experiment=... preset and the command line change that list (defaults.ts),
// then the command line's key overrides are checked against the composed keys and applied (a
// dictionary merges). Interpolation and semantic checks come after (index.ts); nothing trains here.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closest, distance } from 'fastest-levenshtein';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../util/errors.js';
import { applyGroupOverride, entryKey, groupOf, readDefaults } from './defaults.js';
import { parseOverride, typeOf, type Override, type Value } from './overrides.js';
import { allPaths, canonicalJson, checkKeys, deletePath, getPath, isMapping, merge, setPath, type Tree } from './tree.js';

export const EXPERIMENTS_DIR = fileURLToPath(new URL('../../experiments/', import.meta.url));

export interface Composed {
  /** The merged config before interpolation. */
  tree: Tree;
  /** Group -> chosen option, e.g. { task: 'adding', model: 'irnn', optimizer: 'sgd' }. */
  choices: Record<string, string>;
  /** An experiment preset's own sweep (key -> sweep expression, or a list of expressions). */
  sweep: Value | null;
}

/** Config group names: the folders of the experiments directory. */
export function groupNames(root = EXPERIMENTS_DIR): string[] {
  return readdirSync(root).filter((f) => statSync(join(root, f)).isDirectory()).sort();
}

/** Options of a group: yaml files below its folder, as paths without extension ("paper/adding"). */
export function groupOptions(group: string, root = EXPERIMENTS_DIR): string[] {
  const dir = join(root, group);
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.yaml')) out.push(relative(dir, p).slice(0, -5));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

function loadYaml(path: string): Tree {
  const text = readFileSync(path, 'utf8');
  let v: unknown;
  try {
    v = parseYaml(text, { schema: 'core' });
  } catch (e) {
    throw new UserError(`${path}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (v === null || v === undefined) return {};
  if (!isMapping(v)) throw new UserError(`${path}: expected a mapping at the top level`);
  checkKeys(v, path);
  return v;
}

function loadOption(group: string, option: string, root: string): Tree {
  const options = groupOptions(group, root);
  if (!options.includes(option)) {
    throw new UserError(`${group}=${option}: no such option; valid: ${options.join(', ')}`);
  }
  return loadYaml(join(root, group, `${option}.yaml`));
}

function nearest(key: string, candidates: string[]): string {
  if (candidates.length === 0) return '';
  const best = closest(key, candidates);
  return distance(key, best) <= Math.max(3, Math.floor(key.length / 3)) ? `; did you mean '${best}'?` : '';
}

function checkType(key: string, old: Value, value: Value): void {
  const want = typeOf(old);
  const got = typeOf(value);
  if (want === 'null' || got === 'null' || want === got) return;
  // interpolated values are typed when resolved (schema checks run after interpolation)
  if ((typeof old === 'string' && old.includes('${')) || (typeof value === 'string' && value.includes('${'))) return;
  const shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  throw new UserError(`${key}: expected a ${want}, got ${shown}`);
}

export function compose(opts: { overrides: string[]; root?: string }): Composed {
  const root = opts.root ?? EXPERIMENTS_DIR;
  const groups = groupNames(root);
  const parsed: Override[] = opts.overrides.map(parseOverride);

  const primary = loadYaml(join(root, 'config.yaml'));
  const entries = new Map(readDefaults(primary['defaults'], 'config.yaml').map((e) => [entryKey(e), e]));
  delete primary['defaults'];

  // Hydra's split: an override of a group picks options, unless its value is a dictionary (that
  // merges into the group's keys); everything else is a config key.
  const groupOverrides: Array<[Override, { group: string; prefix: string }]> = [];
  const keyOverrides: Override[] = [];
  for (const o of parsed) {
    const g = groupOf(o.key, groups, root);
    if (g && !(isMapping(o.value) && o.op !== 'delete' && o.package === undefined)) groupOverrides.push([o, g]);
    else if (o.package !== undefined) throw new UserError(`${o.text}: '@${o.package}' places a config group's option, and '${o.key}' is not a group (groups: ${groups.join(', ')})`);
    else keyOverrides.push(o);
  }
  const apply = (o: Override, g: { group: string; prefix: string }) => applyGroupOverride(entries, o, g, () => groupOptions(o.key, root));

  // The experiment preset first: its defaults change choices, which the command line then overrides.
  for (const [o, g] of groupOverrides) if (g.group === 'experiment') apply(o, g);
  let experimentBody: Tree = {};
  let sweep: Value | null = null;
  const preset = entries.get('experiment');
  if (preset) {
    experimentBody = loadOption('experiment', preset.option, root);
    const where = `experiment/${preset.option}.yaml`;
    for (const d of readDefaults(experimentBody['defaults'], where)) {
      if (!groups.includes(d.group)) throw new UserError(`${where}: unknown group '${d.group}'; valid: ${groups.join(', ')}`);
      entries.set(entryKey(d), d);
    }
    sweep = experimentBody['sweep'] ?? null;
    delete experimentBody['defaults'];
    delete experimentBody['sweep'];
  }
  for (const [o, g] of groupOverrides) if (g.group !== 'experiment') apply(o, g);

  let tree: Tree = primary;
  for (const e of entries.values()) {
    if (e.group === 'experiment') continue;
    tree = merge(tree, atPackage(e.package, loadOption(e.group, e.option, root)));
  }
  tree = merge(tree, experimentBody);

  for (const o of keyOverrides) applyOverride(tree, o);
  const choices = Object.fromEntries([...entries.values()].map((e) => [entryKey(e), e.option]));
  return { tree, choices, sweep };
}

/** A tree placed at a dotted package path ('' is the top level). */
function atPackage(pkg: string, body: Tree): Tree {
  return pkg === '' ? body : pkg.split('.').reduceRight<Tree>((inner, k) => ({ [k]: inner }), body);
}

/** A key that does not exist, with the nearest one that does. */
function noSuchKey(o: Override, key: string, tree: Tree): UserError {
  const path = key.split('.');
  const list = getPath(tree, path.slice(0, -1)).value;
  if (Array.isArray(list)) {
    return new UserError(`${key}: ${path[path.length - 1]} is not a position in the list ${path.slice(0, -1).join('.')} (it has ${list.length} item${list.length === 1 ? '' : 's'}, from 0; lists are set whole: ${path.slice(0, -1).join('.')}=[...])`);
  }
  const hint = o.op === 'set' ? ` (add a new key with +${key}=...)` : '';
  return new UserError(`${o.op === 'delete' ? '~' : ''}${key}: no such key${nearest(key, allPaths(tree))}${hint}`);
}

/** Sets `value` at `path`: a dictionary merges into a mapping key by key (Hydra's rule, so
 *  train={steps: 5} keeps the other train keys), anything else replaces, its type checked;
 *  `allowNew` (+, ++) creates keys that do not exist. */
function put(tree: Tree, path: string[], value: Value, o: Override, allowNew: boolean): void {
  const key = path.join('.');
  const found = getPath(tree, path);
  if (!found.exists) {
    if (!allowNew) throw noSuchKey(o, key, tree);
    const parent = getPath(tree, path.slice(0, -1));
    if (path.length > 1 && parent.exists && !isMapping(parent.value) && !Array.isArray(parent.value)) {
      throw new UserError(`+${key}: '${path.slice(0, -1).join('.')}' is not a mapping`);
    }
    setPath(tree, path, value);
    return;
  }
  if (isMapping(found.value) && isMapping(value)) {
    for (const [k, v] of Object.entries(value)) put(tree, [...path, k], v, o, allowNew);
    return;
  }
  if (isMapping(found.value)) {
    throw new UserError(`${key}: is a mapping; set one of its keys, e.g. ${key}.${Object.keys(found.value)[0] ?? 'key'}=..., or merge a dictionary: ${key}={...}`);
  }
  checkType(key, found.value, value);
  setPath(tree, path, value);
}

function applyOverride(tree: Tree, o: Override): void {
  const path = o.key.split('.');
  const found = getPath(tree, path);
  const value = o.value ?? null;
  if (o.op === 'delete') {
    if (!found.exists) throw noSuchKey(o, o.key, tree);
    // `~key=value` deletes only a key that holds that value (as Hydra does).
    if (o.value !== undefined && canonicalJson(o.value) !== canonicalJson(found.value)) {
      throw new UserError(`~${o.key}=${canonicalJson(o.value)}: the key holds ${canonicalJson(found.value)}, not that value`);
    }
    deletePath(tree, path);
    return;
  }
  // `+key` adds; on a key that holds something it only merges a dictionary or list (Hydra's rule)
  if (o.op === 'add' && found.exists && found.value !== null && !isMapping(value) && !Array.isArray(value)) {
    throw new UserError(`+${o.key}: the key already exists; set it with ${o.key}=VALUE (or ++${o.key}=VALUE to add or set)`);
  }
  put(tree, path, value, o, o.op !== 'set');
}
