// What a run records about the code it ran: the dirty flag counts untracked files where code and
// configs live (a run using an untracked experiments/model/mine.yaml cannot be reproduced from its
// commit), not results or notes; and which kernel implementation ran is stored with the run.
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Db } from '../src/store/db.js';
import { listRuns, type RunRecord } from '../src/store/runs.js';
import { speedRows } from '../src/report/stats.js';
import { provenanceSection } from '../src/report/provenance.js';
import { gitState } from '../src/util/git.js';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const irnn = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
  });

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-git-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.org', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  for (const d of ['src', 'experiments/model', 'native', 'results']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(dir, '.gitignore'), 'results/*\n');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  return dir;
}

test('the dirty flag counts untracked files under experiments/, src/ and native/, and changed tracked files', (t) => {
  const dir = repo();
  const clean = gitState(dir);
  t.regex(clean.commit ?? '', /^[0-9a-f]{40}$/);
  t.false(clean.dirty);
  for (const f of ['experiments/model/mine.yaml', 'src/new.ts', 'native/extra.cc']) {
    writeFileSync(join(dir, f), 'x\n');
    t.true(gitState(dir).dirty, f);
    rmSync(join(dir, f));
  }
  // Results (git-ignored), notes at the top and other folders are not code.
  writeFileSync(join(dir, 'results', 'results.sqlite'), 'x');
  writeFileSync(join(dir, 'notes.txt'), 'x');
  mkdirSync(join(dir, 'scratch'));
  writeFileSync(join(dir, 'scratch', 'try.ts'), 'x');
  t.false(gitState(dir).dirty);
  writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 2;\n');
  t.true(gitState(dir).dirty);
});

test('outside a git checkout commit and dirty flag are unknown', (t) => {
  t.deepEqual(gitState(mkdtempSync(join(tmpdir(), 'irnn-nogit-'))), { commit: null, dirty: null });
});

test('each run records the kernel that ran it: native with its SIMD width, TypeScript, or none when unrolled', async (t) => {
  const db = join(mkdtempSync(join(tmpdir(), 'irnn-kernel-')), 'results.sqlite');
  const common = ['task.seq_len=6', 'train.steps=2', 'model.hidden=4', 'task.test_size=10', '-q', '--db', db];
  const first = await irnn(['run', 'seed=1', ...common]); // creates the store alone
  t.is(first.code, 0, first.stderr);
  const rest = await Promise.all([
    irnn(['run', 'seed=2', ...common], { IRNN_KERNEL: 'typescript' }),
    irnn(['run', 'seed=3', 'model.engine=unrolled', ...common]),
  ]);
  for (const r of rest) t.is(r.code, 0, r.stderr);
  const store = await Db.openReadOnly(db);
  const runs = new Map((await listRuns(store)).map((r) => [r.seed, r]));
  await store.close();
  t.is(runs.get(1)!.kernel, 'native');
  t.true([4, 8, 16].includes(runs.get(1)!.simdWidth!), String(runs.get(1)!.simdWidth));
  t.is(runs.get(2)!.kernel, 'typescript');
  t.is(runs.get(2)!.simdWidth, null);
  t.is(runs.get(3)!.engine, 'unrolled');
  t.is(runs.get(3)!.kernel, null);
});

const fakeRun = (id: number, kernel: string | null, simdWidth: number | null): RunRecord => ({
  id, status: 'finished', task: 'adding', model: 'irnn', seed: id, config: {}, configHash: 'h', overrides: [], taskInfo: null, details: null,
  params: 1, step: 2, steps: 2, divergedStep: null, git: { commit: null, dirty: null }, versions: {}, backend: 'wasm', engine: 'fused',
  kernel, simdWidth, host: 'h', startedAt: '', endedAt: null, heartbeatAt: null, error: null, metrics: {},
  pid: null, uid: null, stopReason: null, checkpoint: null, prune: null, resumes: [], result: null,
});

test('the speed section and the provenance section keep native and TypeScript kernels apart', (t) => {
  const runs = [fakeRun(1, 'native', 16), fakeRun(2, 'native', 16), fakeRun(3, 'typescript', null), fakeRun(4, null, null)];
  const ms = new Map([[1, 2], [2, 4], [3, 30], [4, 5]]);
  const histories = new Map(runs.map((r) => [r.id, [{ step: 2, name: 'ms_per_step', value: ms.get(r.id)!, wallTime: 0 }, { step: 2, name: 'steps_per_sec', value: 1000 / ms.get(r.id)!, wallTime: 0 }]]));
  const rows = speedRows(runs, histories).map((r) => [r.engine, r.runs, r.msPerStep]);
  t.deepEqual(rows, [['fused (native, SIMD 16)', 2, 3], ['fused (TypeScript)', 1, 30], ['fused (kernel not recorded)', 1, 5]]);
  const text = JSON.stringify(provenanceSection(runs));
  t.regex(text, /wasm · fused \(native, SIMD 16\)/);
  t.regex(text, /wasm · fused \(TypeScript\)/);
});
