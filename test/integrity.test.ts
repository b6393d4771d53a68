// One identity and one writer per run: a checkpoint is resumed only into its own store and run
// (never into a store made again at the same path, nor into a sibling x.db of x.sqlite); a live
// claim is refused, a process that lost its claim stops without writing, a writer leaves other
// processes' temporary files alone; the code version sees untracked code; bad task parameters
// leave nothing in the store.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { composeConfig } from '../src/config/index.js';
import { Db } from '../src/store/db.js';
import { ClaimLost, getRun, releaseStaleRun, resumeRun, storeId } from '../src/store/runs.js';
import { listCheckpoints, readCheckpoint, writeCheckpoint } from '../src/train/checkpoint-file.js';
import { prepareResume } from '../src/train/resume.js';
import { train } from '../src/train/run.js';
import { gitState, uncommittedHash } from '../src/util/git.js';
import { irnn, query, runCheckpointDir } from './sweep-helpers.js';

const RUN = ['task.seq_len=10', 'model.hidden=8', 'task.test_size=50', 'task.valid_size=50', 'train.eval_every=50', 'train.checkpoint_every=50'];
const folder = () => mkdtempSync(join(tmpdir(), 'irnn-integrity-'));

/** Trains run `steps` steps into the store at `path` and stops it there (interrupted, with a checkpoint). */
async function interruptedRun(path: string, steps: number, overrides: string[] = []): Promise<number> {
  const db = await Db.open(path);
  const controller = new AbortController();
  const r = await train({
    resolved: composeConfig({ overrides: [...RUN, 'train.steps=400', ...overrides] }),
    db,
    signal: controller.signal,
    events: { onStep: (e) => e.step === steps && controller.abort() },
  });
  await db.close();
  if (r.status !== 'interrupted') throw new Error(`expected interrupted, got ${r.status}`);
  return r.runId;
}

test('a store made again at the same path never resumes the old store\'s run 1', async (t) => {
  const dir = folder();
  const path = join(dir, 'x.sqlite');
  await interruptedRun(path, 150);
  const oldDir = await runCheckpointDir(path, 1);
  const oldFiles = readdirSync(oldDir);
  rmSync(path);
  for (const f of ['-wal', '-shm']) rmSync(path + f, { force: true });

  await interruptedRun(path, 50); // the new store's run 1, same config
  const newDir = await runCheckpointDir(path, 1);
  t.not(newDir, oldDir, 'its own folder');
  t.deepEqual(readdirSync(oldDir), oldFiles, 'the old run\'s files are left as they were');
  const db = await Db.open(path);
  const plan = await prepareResume(db, 1);
  t.is(plan.checkpoint.content.meta.step, 50, 'resumes its own checkpoint, not step 150');

  // The old run's checkpoint put into the new run's folder is refused, naming why.
  const old = readCheckpoint(join(oldDir, oldFiles.find((f) => f.endsWith('.ckpt'))!));
  writeCheckpoint(newDir, { ...old, meta: { ...old.meta, step: 999 } }, 5);
  const refused = await t.throwsAsync(prepareResume(db, 1));
  t.regex(refused!.message, /^run 1: the checkpoint .*step-000000000999\.ckpt is not this run's: it was written for store [0-9a-f]{32}, this store is [0-9a-f]{32}$/);
  t.is((await getRun(db, 1))!.status, 'interrupted', 'a refusal changes nothing');
  await db.close();
});

test('x.sqlite and x.db in one folder keep their checkpoints apart, and a copied checkpoint is refused', async (t) => {
  const dir = folder();
  await interruptedRun(join(dir, 'x.sqlite'), 100);
  await interruptedRun(join(dir, 'x.db'), 50);
  const a = await runCheckpointDir(join(dir, 'x.sqlite'), 1);
  const b = await runCheckpointDir(join(dir, 'x.db'), 1);
  t.not(a, b);
  t.deepEqual(listCheckpoints(a).map((c) => c.step), [50, 100]);
  t.deepEqual(listCheckpoints(b).map((c) => c.step), [50]);
  // The same run, copied with its store (a clone of the repository): accepted, since the store's
  // identity travels with it.
  const copy = join(folder(), 'x.sqlite');
  cpSync(join(dir, 'x.sqlite'), copy);
  cpSync(join(dir, 'checkpoints'), join(dirname(copy), 'checkpoints'), { recursive: true });
  const db = await Db.open(copy);
  t.is(await storeId(db), await storeId(await Db.open(join(dir, 'x.sqlite'))));
  t.is((await prepareResume(db, 1)).checkpoint.content.meta.step, 100);
  // x.db's run 1 checkpoint dropped into x.sqlite's folder is another store's.
  const other = readCheckpoint(listCheckpoints(b)[0]!.path);
  writeCheckpoint(await runCheckpointDir(copy, 1), { ...other, meta: { ...other.meta, step: 300 } }, 5);
  await t.throwsAsync(prepareResume(db, 1), { message: /is not this run's: it was written for store/ });
  await db.close();
});

test('a live claim is refused naming its holder; a stale one is taken over, and the loser stops without writing', async (t) => {
  const path = join(folder(), 's.sqlite');
  const id = await interruptedRun(path, 50);
  const db = await Db.open(path);
  const resume = { at: new Date().toISOString(), step: 50, code: 'c', checkpointCode: 'c', forced: false };
  const first = await resumeRun(db, id, { step: 50, pid: process.pid, host: hostname(), resume });
  // This process is alive: a second claim is refused, naming it.
  await t.throwsAsync(resumeRun(db, id, { step: 50, pid: 1, host: 'h', resume }), { message: new RegExp(`^run ${id} is being trained by pid ${process.pid} on ${hostname()}`) });
  t.is(await releaseStaleRun(db, id, 'lost'), `pid ${process.pid} on ${hostname()} (heartbeat ${(await getRun(db, id))!.heartbeatAt})`, 'a live run is not marked interrupted');
  t.is((await getRun(db, id))!.status, 'running');
  // A holder on another host whose heartbeat is old is stale: the claim moves.
  await db.run("UPDATE runs SET host = 'elsewhere', heartbeat_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", [id]);
  const second = await resumeRun(db, id, { step: 50, pid: process.pid, host: hostname(), resume });
  t.not(second.token, first.token);
  t.is(second.uid, first.uid, 'the run keeps its identity');
  const { logMetrics, finishRun } = await import('../src/store/runs.js');
  const rows = async () => (await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM metrics WHERE run_id = ?', [id]))[0]!.n;
  const before = await rows();
  await t.throwsAsync(logMetrics(db, id, 60, { x: 1 }, first.token), { instanceOf: ClaimLost });
  await t.throwsAsync(finishRun(db, id, { status: 'finished', step: 60 }, first.token), { instanceOf: ClaimLost });
  t.is(await rows(), before, 'the loser wrote no metric');
  t.is((await getRun(db, id))!.status, 'running', 'nor the run\'s status');
  await logMetrics(db, id, 60, { x: 1 }, second.token);
  t.is(await rows(), before + 1);
  await db.close();
});

test('irnn run --resume of a run another live process trains exits 2 naming it, and changes nothing', async (t) => {
  const path = join(folder(), 'live.sqlite');
  const id = await interruptedRun(path, 50);
  const db = await Db.open(path);
  await resumeRun(db, id, { step: 50, pid: process.pid, host: hostname(), resume: { at: '', step: 50, code: 'c', checkpointCode: 'c', forced: false } });
  await db.close();
  const before = await query(path, 'SELECT * FROM runs');
  const r = await irnn(['run', '--resume', String(id), '--db', path]);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr.trim(), new RegExp(`run ${id} is (still running|being trained by) .*pid ${process.pid}`));
  t.is(r.stderr.trim().split('\n').length, 1);
  t.deepEqual(await query(path, 'SELECT * FROM runs'), before);
});

test('a checkpoint writer removes the temporary files of dead writers only', (t) => {
  const dir = folder();
  mkdirSync(dir, { recursive: true });
  const live = `step-000000000001.ckpt.tmp-${hostname()}-${process.ppid}`;
  const dead = `step-000000000002.ckpt.tmp-${hostname()}-999999999`;
  const remote = `step-000000000003.ckpt.tmp-otherhost-12345`;
  for (const f of [live, dead, remote]) writeFileSync(join(dir, f), 'partial');
  writeCheckpoint(dir, { meta: { step: 4 }, tensors: [] }, 2);
  t.true(existsSync(join(dir, live)), 'a live writer\'s file stays');
  t.true(existsSync(join(dir, remote)), 'another host\'s file stays');
  t.false(existsSync(join(dir, dead)), 'a dead writer\'s file goes');
});

test('the code version changes with an untracked file under src/, experiments/ or native/, not elsewhere', (t) => {
  const root = folder();
  const git = (...a: string[]) => execFileSync('git', a, { cwd: root, stdio: 'ignore' });
  git('init', '-q');
  git('-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-q', '--allow-empty', '-m', 'empty');
  const clean = uncommittedHash(root);
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src', 'new.ts'), 'export const x = 1;\n');
  const withFile = uncommittedHash(root);
  t.not(withFile, clean);
  writeFileSync(join(root, 'src', 'new.ts'), 'export const x = 2;\n');
  t.not(uncommittedHash(root), withFile, 'its content counts');
  mkdirSync(join(root, 'results'));
  writeFileSync(join(root, 'results', 'out.txt'), 'not code');
  writeFileSync(join(root, 'src', 'new.ts'), 'export const x = 1;\n');
  t.is(uncommittedHash(root), withFile, 'results are not code');
});

test('a committed store or report that changes does not make the checkout dirty; a changed source file does', (t) => {
  const root = folder();
  const git = (...a: string[]) => execFileSync('git', a, { cwd: root, stdio: 'ignore' });
  git('init', '-q');
  for (const f of ['results/repro/x.sqlite', 'reports/repro/x.md', 'src/a.ts']) {
    mkdirSync(join(root, dirname(f)), { recursive: true });
    writeFileSync(join(root, f), 'v1');
  }
  git('add', '.');
  git('-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-q', '-m', 'one');
  writeFileSync(join(root, 'results/repro/x.sqlite'), 'v2');
  writeFileSync(join(root, 'reports/repro/x.md'), 'v2');
  t.is(gitState(root).dirty, false, 'the evidence a campaign writes');
  const clean = uncommittedHash(root);
  writeFileSync(join(root, 'src/a.ts'), 'v2');
  t.is(gitState(root).dirty, true);
  t.not(uncommittedHash(root), clean);
});

test('bad task parameters exit 2 and leave no run in the store', async (t) => {
  const path = join(folder(), 'bad.sqlite');
  const r = await irnn(['run', 'task.seq_len=0', '--db', path]);
  t.is(r.code, 2);
  t.regex(r.stderr, /task\.seq_len/);
  const db = await Db.open(path);
  t.is((await db.all('SELECT id FROM runs')).length, 0);
  await db.close();
});

test('irnn sweep --resume does not take a job whose run another live process trains', async (t) => {
  const path = join(folder(), 'sweep.sqlite');
  const overrides = [...RUN, 'train.steps=400'];
  const id = await interruptedRun(path, 50);
  const db = await Db.open(path);
  const { createSweep, claimJob, linkJobRun } = await import('../src/store/sweeps.js');
  const { configHash } = await import('../src/config/index.js');
  const sweepId = await createSweep(db, { spec: {}, command: 'irnn sweep', jobs: [{ idx: 1, overrides, configHash: configHash(composeConfig({ overrides }).config) }] });
  await claimJob(db, sweepId, 1, 999999999); // a worker that is gone
  await linkJobRun(db, sweepId, 1, id);
  // `irnn run --resume` of that run, alive in this process
  await resumeRun(db, id, { step: 50, pid: process.pid, host: hostname(), resume: { at: '', step: 50, code: 'c', checkpointCode: 'c', forced: false } });
  const { planResume } = await import('../src/launch/plan.js');
  await t.throwsAsync(planResume(db, sweepId), { message: new RegExp(`^sweep ${sweepId}: job 1's run ${id} is being trained by pid ${process.pid} on `) });
  t.is((await getRun(db, id))!.status, 'running', 'the live run is left alone');
  await db.close();
});
