// What a careless or hostile user can type: prototype keys, expressions that would run arbitrary
// mathjs functions or allocate without bound, non-finite numbers, sizes no machine can hold. Each
// is one line on stderr and exit code 2, and a store that already exists stays byte-identical.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Db } from '../src/store/db.js';
import { createRun, describeRun, finishRun, logMetrics, type RunRecord } from '../src/store/runs.js';
import { filterRuns } from '../src/report/where.js';
import { isUserError } from '../src/util/errors.js';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));

function irnn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Every file of a folder, name -> bytes (the store, and any -wal / -shm beside it). */
const snapshot = (dir: string) => new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));

/** A store holding one finished run, written without training. */
async function storeWithRun(): Promise<{ dir: string; db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-hostile-'));
  const path = join(dir, 'results.sqlite');
  const db = await Db.open(path);
  const id = await createRun(db, {
    task: 'adding', model: 'irnn', seed: 0, config: { seed: 0, model: { hidden: 8 } }, configHash: 'h', overrides: [],
    steps: 2, git: { commit: 'abc', dirty: false }, versions: {}, host: 'h', pid: 1,
  });
  await describeRun(db, id, { backend: 'wasm', engine: 'fused', taskInfo: { seq_len: 8 }, params: 1 });
  await logMetrics(db, id, 2, { test_mse: 0.1 });
  await finishRun(db, id, { status: 'finished', step: 2 });
  await db.close();
  return { dir, db: path };
}

for (const [args, pattern] of [
  [['run', '+__proto__.x=1'], /'__proto__' cannot be a key/],
  [['run', 'train.steps=${eval:ones(30000,30000)}'], /train\.steps: cannot evaluate .*unknown function 'ones'/],
  [['run', 'optimizer.lr=1e400'], /optimizer\.lr: expected a finite number, got Infinity/],
  [['run', 'task.seq_len=1e12'], /task\.seq_len=1000000000000, .*of memory/],
  [['sweep', '+__proto__.momentum=0.9,0.5'], /'__proto__' cannot be a key/],
  [['sweep', 'task.seq_len=10,1e12', '--dry-run'], /job 2 \[task\.seq_len=1e12\]: task\.seq_len=1000000000000, .*of memory/],
  [['report', '--where', 'ones(30000,30000)'], /--where .*unknown function 'ones'/],
  [['report', '--where', 'sqrtt(seed) == 0'], /--where .*unknown function 'sqrtt'/],
  [['report', '--where', 'seed == 0 and nosuch.key > 1'], /--where: no run has 'nosuch\.key'/],
] as const) {
  test(`irnn ${args.join(' ')} exits 2 with one line and leaves the store byte-identical`, async (t) => {
    const { dir, db } = await storeWithRun();
    const before = snapshot(dir);
    const r = await irnn([...args, '--db', db]);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, pattern);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.deepEqual(snapshot(dir), before);
  });
}

const run = (id: number, seed: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  id, status: 'finished', task: 'adding', model: 'irnn', seed, config: { seed, model: { hidden: 8, name: 'irnn' } }, configHash: 'h',
  overrides: [], taskInfo: null, details: null, params: 1, step: 2, steps: 2, divergedStep: null, git: { commit: null, dirty: null },
  versions: {}, backend: 'wasm', engine: 'fused', kernel: 'native', simdWidth: 16, host: 'h', startedAt: '', endedAt: null, heartbeatAt: null, error: null,
  pid: null, uid: null, stopReason: null, checkpoint: null, prune: null, resumes: [], result: null,
  metrics: { test_mse: 0.1 * (seed + 1) }, ...extra,
});

test('--where calls only the documented functions and names what it does not know', (t) => {
  const runs = [run(1, 0), run(2, 1)];
  const where = (expr: string) => filterRuns(runs, expr).map((r) => r.id);
  t.deepEqual(where('sqrt(seed) == 1 and model.name == "irnn"'), [2]);
  t.deepEqual(where('max(test_mse, 0.15) > 0.15'), [2]);
  for (const [expr, pattern] of [
    ['sqrtt(seed) == 0', /unknown function 'sqrtt'/],
    ['size(ones(2, 2)) == 2', /unknown function 'size'/],
    ['evaluate("1") == 1', /unknown function 'evaluate'/],
    ['createUnit("furlong") == 1', /unknown function 'createUnit'/],
    ['f(x) = 1', /defining a function/],
    ['seed == 0; seed == 1', /more than one statement/],
    ['nosuch.key == 1', /no run has 'nosuch\.key'/],
    ['seed + 1', /gives 1 for run 1, not true or false/],
  ] as const) {
    const e = t.throws(() => where(expr), undefined, expr);
    t.true(isUserError(e), `${expr}: ${String(e)}`);
    t.regex(e!.message, pattern, expr);
  }
});
