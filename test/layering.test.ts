// The layering the architecture promises, read from the import statements of the sources: the
// kernels never import models; composing a config loads neither tfjs nor any task or data module;
// helpers shared between layers are defined once.
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(ROOT, p)).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Modules a file loads when it is loaded: static imports and re-exports that are not type-only
 *  (dynamic `await import(...)` is a deliberate lazy load and is not followed). */
function staticImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)([^;]*?)\s+from\s+'([^']+)'/gms)) {
    const spec = m[2]!;
    out.push(spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec.replace(/\.js$/, '.ts'))) : spec);
  }
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) out.push(m[1]!);
  return out;
}

/** Everything loading `entry` loads, transitively. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    if (f.endsWith('.ts')) staticImports(f).forEach(walk);
  };
  walk(entry);
  return seen;
}

test('the kernels import nothing from the models (the models import the kernels\' contract)', (t) => {
  for (const f of files('src/kernels')) {
    // Type-only imports count too: the contract's types belong to the kernels.
    const bad = [...readFileSync(join(ROOT, f), 'utf8').matchAll(/from '(\.\.\/models\/[^']+)'/g)].map((m) => m[1]);
    t.deepEqual(bad, [], f);
  }
});

test('composing a config loads neither tfjs nor any task, data, model or training module', (t) => {
  const loaded = [...closure('src/config/index.ts')];
  const heavy = loaded.filter(
    (m) => m.startsWith('@tensorflow/') || /^src\/(data|models\/(?!initializers)|tasks\/(?!names)|train|launch|report|store)/.test(m),
  );
  t.deepEqual(heavy, []);
  t.true(loaded.includes('src/kernels/contract.ts') && loaded.includes('src/tasks/names.ts'), loaded.join(' '));
});

test('shared helpers are defined once: median, sleep, the heartbeat interval, the package.json reader, the TypeScript fork, the pending jobs; the config copies no name list', (t) => {
  const sources = [...files('src'), ...files('scripts')].map((f) => [f, readFileSync(join(ROOT, f), 'utf8')] as const);
  const definedIn = (re: RegExp) => sources.filter(([, s]) => re.test(s)).map(([f]) => f);
  t.deepEqual(definedIn(/(function|const)\s+median\b/), ['src/util/median.ts']);
  t.deepEqual(definedIn(/(function|const)\s+sleep\b/), ['src/util/time.ts']);
  t.deepEqual(definedIn(/const\s+HEARTBEAT_MS\b/), ['src/util/time.ts']);
  // one reader of the harness's package.json, one way to fork a TypeScript child, one list of a
  // remote sweep's pending jobs
  t.deepEqual(definedIn(/['"`]\.\.\/\.\.\/package\.json['"`]/), ['src/util/package.ts']);
  t.deepEqual(definedIn(/resolve\('tsx'\)/), ['src/launch/fork.ts']);
  t.deepEqual(definedIn(/status === 'queued' \|\| j\.status === 'running'/), ['src/store/sweeps.ts']);
  const schema = readFileSync(join(ROOT, 'src/config/schema.ts'), 'utf8');
  t.notRegex(schema, /'rnn_relu'|'unrolled'/, 'cell and engine names come from the kernels\' contract');
});

test('every write to the store is in src/store: no SQL statement is run from another layer', (t) => {
  const writers = files('src')
    .filter((f) => !f.startsWith('src/store/'))
    .filter((f) => /\bdb!?\.(run|exec|transaction)\(/.test(readFileSync(join(ROOT, f), 'utf8')));
  t.deepEqual(writers, []);
});

test('layers read one way: the config imports no layer above it, the dashboard and the report no launcher or trainer', (t) => {
  const above = (dir: string, re: RegExp) =>
    files(dir).flatMap((f) => staticImports(f).concat([...readFileSync(join(ROOT, f), 'utf8').matchAll(/^import\s+type\s[^;]*?from\s+'([^']+)'/gms)].map((m) => relative(ROOT, resolve(ROOT, dirname(f), m[1]!.replace(/\.js$/, '.ts'))))).filter((m) => re.test(m)).map((m) => `${f} -> ${m}`));
  t.deepEqual(above('src/config', /^src\/(train|launch|ui|report|store|commands)\//), []);
  t.deepEqual(above('src/ui', /^src\/(launch|train|commands)\//), []);
  t.deepEqual(above('src/report', /^src\/(launch|train|ui|commands)\//), []);
});
