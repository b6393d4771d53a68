// Composes a run config from experiments/: the root config.yaml's defaults list picks one option
// per group (task/, model/, optimizer/), an optional +experiment=... preset adjusts choices and
// values, then command-line overrides are checked against the composed keys and applied.
// Interpolation and semantic checks come after (see index.ts); this file does not train anything.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closest, distance } from 'fastest-levenshtein';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../util/errors.js';
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

/** Reads a defaults list: entries `group: option` or `override /group: option`. */
function readDefaults(list: Value | undefined, where: string): Array<{ group: string; option: string }> {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new UserError(`${where}: 'defaults' must be a list`);
  return list.map((entry) => {
    if (!isMapping(entry) || Object.keys(entry).length !== 1) {
      throw new UserError(`${where}: each defaults entry must be 'group: option'`);
    }
    const [k, v] = Object.entries(entry)[0]!;
    return { group: k.replace(/^override\s+/, '').replace(/^\//, ''), option: String(v) };
  });
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
  const baseDefaults = readDefaults(primary['defaults'], 'config.yaml');
  delete primary['defaults'];

  // Group choices: the root defaults, then an experiment preset's, then the command line's.
  const order = baseDefaults.map((d) => d.group);
  const choices: Record<string, string> = Object.fromEntries(baseDefaults.map((d) => [d.group, d.option]));
  const cliChoices: Record<string, string> = {};
  const keyOverrides: Override[] = [];
  for (const o of parsed) {
    const isGroup = groups.includes(o.key) && o.op !== 'delete';
    if (!isGroup) {
      keyOverrides.push(o);
      continue;
    }
    if (typeof o.value !== 'string' && typeof o.value !== 'number') {
      throw new UserError(`${o.key}: expected an option name; valid: ${groupOptions(o.key, root).join(', ')}`);
    }
    cliChoices[o.key] = String(o.value);
  }

  let experimentBody: Tree = {};
  let sweep: Value | null = null;
  const experiment = cliChoices['experiment'] ?? choices['experiment'];
  if (experiment !== undefined) {
    experimentBody = loadOption('experiment', experiment, root);
    for (const d of readDefaults(experimentBody['defaults'], `experiment/${experiment}.yaml`)) {
      if (!groups.includes(d.group)) {
        throw new UserError(`experiment/${experiment}.yaml: unknown group '${d.group}'; valid: ${groups.join(', ')}`);
      }
      choices[d.group] = d.option;
      if (!order.includes(d.group)) order.push(d.group);
    }
    sweep = experimentBody['sweep'] ?? null;
    delete experimentBody['defaults'];
    delete experimentBody['sweep'];
    choices['experiment'] = experiment;
  }
  for (const [g, option] of Object.entries(cliChoices)) {
    choices[g] = option;
    if (!order.includes(g)) order.push(g);
  }

  let tree: Tree = primary;
  for (const g of order) {
    if (g === 'experiment') continue;
    tree = merge(tree, { [g]: loadOption(g, choices[g]!, root) });
  }
  tree = merge(tree, experimentBody);

  for (const o of keyOverrides) applyOverride(tree, o);
  return { tree, choices, sweep };
}

function applyOverride(tree: Tree, o: Override): void {
  const found = getPath(tree, o.key);
  const paths = allPaths(tree);
  if (o.op === 'add') {
    if (found.exists) throw new UserError(`+${o.key}: the key already exists; set it with ${o.key}=VALUE`);
    const parent = o.key.includes('.') ? o.key.slice(0, o.key.lastIndexOf('.')) : '';
    if (parent && getPath(tree, parent).exists && !isMapping(getPath(tree, parent).value)) {
      throw new UserError(`+${o.key}: '${parent}' is not a mapping`);
    }
    setPath(tree, o.key, o.value ?? null);
    return;
  }
  if (!found.exists) {
    const hint = o.op === 'set' ? ` (add a new key with +${o.key}=...)` : '';
    throw new UserError(`${o.op === 'delete' ? '~' : ''}${o.key}: no such key${nearest(o.key, paths)}${hint}`);
  }
  if (o.op === 'delete') {
    // `~key=value` deletes only a key that holds that value (as Hydra does).
    if (o.value !== undefined && canonicalJson(o.value) !== canonicalJson(found.value)) {
      throw new UserError(`~${o.key}=${canonicalJson(o.value)}: the key holds ${canonicalJson(found.value)}, not that value`);
    }
    deletePath(tree, o.key);
    return;
  }
  if (isMapping(found.value) && !isMapping(o.value)) {
    throw new UserError(`${o.key}: is a mapping; set one of its keys, e.g. ${o.key}.${Object.keys(found.value)[0] ?? 'key'}=...`);
  }
  checkType(o.key, found.value, o.value ?? null);
  setPath(tree, o.key, o.value ?? null);
}
