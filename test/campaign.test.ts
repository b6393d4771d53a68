// Campaigns: a lane runs its sweep lines in order and, started again, passes over what finished and
// resumes what was interrupted (same sweep, same runs); a snapshot of a campaign committed to a
// repository and cloned elsewhere lets `irnn run --resume` continue an unfinished run from its
// committed checkpoint, logging exactly the rows of a run that was never interrupted.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeConfig } from '../src/config/index.js';
import { ensureWorktree, readPlan, runLane, snapshotCampaign, startLanes, stopLanes } from '../src/launch/campaign.js';
import { Db } from '../src/store/db.js';
import { listCheckpoints } from '../src/train/checkpoint-file.js';
import { TIMING_METRICS, train } from '../src/train/run.js';
import { irnn, query, runCheckpointDir } from './sweep-helpers.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TINY = ['task.seq_len=10', 'model.hidden=8', 'task.test_size=50', 'task.valid_size=50', 'train.eval_every=50', 'train.checkpoint_every=50'];
const folder = () => mkdtempSync(join(tmpdir(), 'irnn-campaign-'));

async function rows(db: string, id: number): Promise<string[]> {
  const r = await query<{ step: number; name: string; value: number | null }>(db, 'SELECT step, name, value FROM metrics WHERE run_id = ? ORDER BY step, name', [id]);
  return r.filter((x) => !TIMING_METRICS.includes(x.name)).map((x) => `${x.step} ${x.name} ${x.value}`);
}

/** A worktree stand-in: a folder whose bin/ is the project's (so lanes run this code). */
function worktree(): string {
  const dir = folder();
  symlinkSync(join(ROOT, 'bin'), join(dir, 'bin'));
  return dir;
}

/** A store at `path` holding one run of `overrides` interrupted at step `at`, with its checkpoints. */
async function interruptedRun(path: string, overrides: string[], at: number): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  const store = await Db.open(path);
  const controller = new AbortController();
  try {
    const r = await train({ resolved: composeConfig({ overrides }), db: store, signal: controller.signal, events: { onStep: (e) => e.step === at && controller.abort() } });
    return r.status;
  } finally {
    await store.close();
  }
}

function plan(root: string, dir: string, lanes: Record<string, string[]>, ref = 'HEAD'): string {
  const path = join(root, 'campaign.yaml');
  const body = Object.entries(lanes).map(([n, ls]) => `  ${n}:\n${ls.map((l) => `    - ${l}\n`).join('')}`).join('');
  // Written whole and renamed into place: a running lane reading it never sees half a plan.
  writeFileSync(`${path}.tmp`, `ref: ${ref}\ndir: ${dir}\nlanes:\n${body}`);
  renameSync(`${path}.tmp`, path);
  return path;
}

test('a lane runs its lines, and started again resumes the interrupted sweep and passes over the finished one', async (t) => {
  const dir = worktree();
  const root = folder();
  const lines = [`${TINY.join(' ')} train.steps=100 seed=0,1 --db results/s.sqlite`, `${TINY.join(' ')} train.steps=3000 seed=5 --db results/s.sqlite`];
  const path = plan(root, dir, { a: lines });
  const log: string[] = [];
  // First start: the second line's sweep is stopped once its run passed step 200.
  const controller = new AbortController();
  const db = join(dir, 'results/s.sqlite');
  const watch = setInterval(async () => {
    const r = await query<{ step: number }>(db, "SELECT step FROM runs WHERE seed = 5").catch(() => []);
    if ((r[0]?.step ?? 0) >= 200) controller.abort();
  }, 200);
  await runLane(path, root, 'a', controller.signal, (l) => log.push(l));
  clearInterval(watch);
  const sweeps1 = await query<{ id: number; status: string }>(db, 'SELECT id, status FROM sweeps ORDER BY id');
  t.deepEqual(sweeps1.map((s) => s.status), ['finished', 'interrupted']);
  const [stopped] = await query<{ id: number; step: number; status: string }>(db, 'SELECT id, step, status FROM runs WHERE seed = 5');
  t.is(stopped!.status, 'interrupted');

  // Started again: line 1 is passed over, line 2's sweep resumed and its run continued.
  await runLane(path, root, 'a', new AbortController().signal, (l) => log.push(l));
  t.true(log.some((l) => /^line 1: sweep 1 finished/.test(l)), log.join('\n'));
  t.true(log.some((l) => /^line 2: .* irnn sweep --resume 2 --db results\/s\.sqlite --jobs 1$/.test(l)), log.join('\n'));
  const sweeps2 = await query<{ id: number; status: string }>(db, 'SELECT id, status FROM sweeps ORDER BY id');
  t.deepEqual(sweeps2.map((s) => s.status), ['finished', 'finished'], 'no new sweep');
  const runs = await query<{ id: number; status: string; step: number; resumes_json: string | null }>(db, 'SELECT id, status, step, resumes_json FROM runs WHERE seed = 5');
  t.is(runs.length, 1, 'the same run continued');
  t.like(runs[0], { id: stopped!.id, status: 'finished', step: 3000 });
  t.true(JSON.parse(runs[0]!.resumes_json!)[0].step >= 200);

  // A third start runs nothing.
  const before = log.length;
  await runLane(path, root, 'a', new AbortController().signal, (l) => log.push(l));
  t.deepEqual(log.slice(before).map((l) => l.slice(0, 21)), ['line 1: sweep 1 finis', 'line 2: sweep 2 finis']);
});

test('a line put anywhere in the list of a running lane is taken up once the running line ends', async (t) => {
  const dir = worktree();
  const root = folder();
  const first = `${TINY.join(' ')} train.steps=100 seed=0 --db results/s.sqlite`;
  const long = `${TINY.join(' ')} train.steps=2000 seed=1 --db results/s.sqlite`;
  const added = `${TINY.join(' ')} train.steps=100 seed=2 --db results/s.sqlite`;
  const path = plan(root, dir, { a: [first, long] });
  const db = join(dir, 'results/s.sqlite');
  // While the second line runs, a line goes in at the top (before lines already passed).
  let edited = false;
  const watch = setInterval(async () => {
    const r = await query<{ step: number }>(db, 'SELECT step FROM runs WHERE seed = 1').catch(() => []);
    if (!edited && (r[0]?.step ?? 0) >= 100) edited = (plan(root, dir, { a: [added, first, long] }), true);
  }, 100);
  const log: string[] = [];
  await runLane(path, root, 'a', new AbortController().signal, (l) => log.push(l));
  clearInterval(watch);
  t.true(edited, 'the plan was edited while the long line ran');
  const runs = await query<{ seed: number; status: string }>(db, 'SELECT seed, status FROM runs ORDER BY id');
  t.deepEqual(runs.map((r) => `${r.seed} ${r.status}`), ['0 finished', '1 finished', '2 finished'], log.join('\n'));
});

test('a started lane runs at nice 19, and so does its scheduling group (autogroup), so it yields to interactive work', async (t) => {
  const dir = worktree();
  const root = folder();
  const p = readPlan(plan(root, dir, { a: [`${TINY.join(' ')} train.steps=1000000 --db results/s.sqlite`] }), root);
  const lanes = startLanes(p, join(ROOT, 'bin', 'run.js'));
  try {
    const pid = lanes.a!.pid;
    // `taskset`/`nice` exec the lane in place: wait until the pid is node.
    const stat = () => readFileSync(`/proc/${pid}/stat`, 'utf8');
    for (let i = 0; i < 100 && !/^\d+ \(node\)/.test(stat()); i++) await new Promise((r) => setTimeout(r, 50));
    const fields = stat().replace(/^.*\) /, '').split(' ');
    t.is(Number(fields[16]), 19, 'nice (field 19 of /proc/PID/stat)');
    const group = `/proc/${pid}/autogroup`;
    if (existsSync(group)) t.regex(readFileSync(group, 'utf8'), /nice 19$/m);
    else t.log('this kernel has no autogroup scheduling: nice alone ranks the lane');
  } finally {
    t.deepEqual(await stopLanes(p, 60_000), [], 'the lane stopped');
  }
});

test('a snapshot committed and cloned: irnn run --resume continues from the committed checkpoint as if never interrupted', async (t) => {
  const dir = worktree();
  const repo = folder();
  execFileSync('git', ['init', '-q'], { cwd: repo });
  copyFileSync(join(ROOT, '.gitignore'), join(repo, '.gitignore'));
  const overrides = [...TINY, 'train.steps=400'];
  const live = join(dir, 'results/repro/x.sqlite');
  t.is(await interruptedRun(live, overrides, 230), 'interrupted');
  t.deepEqual(listCheckpoints(await runCheckpointDir(live, 1)).map((c) => c.step), [200, 230], 'two kept on the machine');

  const path = plan(repo, dir, { a: [`${overrides.join(' ')} --db results/repro/x.sqlite`] });
  const [report] = await snapshotCampaign(readPlan(path, repo), 4 * 2 ** 20);
  t.like(report!.runs[0], { id: 1, status: 'interrupted', step: 230 });
  execFileSync('git', ['add', '-A'], { cwd: repo });
  execFileSync('git', ['-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-q', '-m', 'snapshot'], { cwd: repo });
  const committed = execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' }).trim().split('\n').sort();
  t.true(committed.includes('results/repro/x.sqlite'));
  t.is(committed.filter((f) => f.endsWith('.ckpt')).length, 1, 'only the newest checkpoint');
  t.regex(committed.find((f) => f.endsWith('.ckpt'))!, /^results\/repro\/checkpoints\/x\.sqlite\/1-[0-9a-f]{8}\/step-000000000230\.ckpt$/);

  const clone = join(folder(), 'clone');
  execFileSync('git', ['clone', '-q', repo, clone]);
  const db = join(clone, 'results/repro/x.sqlite');
  const resumed = await irnn(['run', '--resume', '1', '--db', db, '--quiet']);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /resumed at step 230 from /);
  const twin = join(folder(), 'twin.sqlite');
  const straight = await train({ resolved: composeConfig({ overrides }), db: await Db.open(twin) });
  t.is(straight.status, 'finished');
  t.deepEqual(await rows(db, 1), await rows(twin, 1));
  t.false(existsSync(await runCheckpointDir(db, 1)) && readdirSync(await runCheckpointDir(db, 1)).length > 0, 'a finished run keeps no checkpoint');
});

test('a worktree made at a commit older than any committed checkpoint gets the checkpoint of each unfinished run where its store looks; an unknown ref or a half-made worktree is one clear error', async (t) => {
  const repo = folder();
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=a@b', '-c', 'user.name=a', ...args], { cwd: repo, encoding: 'utf8' }).trim();
  git('init', '-q');
  copyFileSync(join(ROOT, '.gitignore'), join(repo, '.gitignore'));
  writeFileSync(join(repo, 'package-lock.json'), '{}\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'before any results');
  const first = git('rev-parse', 'HEAD');
  mkdirSync(join(repo, 'node_modules')); // installed (ignored): the worktree copies it, the locks being equal
  // the checkout holds a store with an interrupted run and its checkpoint (as a snapshot leaves them)
  const overrides = [...TINY, 'train.steps=400'];
  const db = join(repo, 'results/repro/x.sqlite');
  t.is(await interruptedRun(db, overrides, 60), 'interrupted');
  const line = [`${overrides.join(' ')} --db results/repro/x.sqlite`];

  const bad = plan(repo, join(folder(), 'wt'), { a: line }, 'no-such-tag');
  await t.throwsAsync(ensureWorktree(readPlan(bad, repo), () => {}), { message: /ref 'no-such-tag' is not a commit of this repository/ });

  const wt = join(folder(), 'wt');
  const made = await ensureWorktree(readPlan(plan(repo, wt, { a: line }, first), repo), () => {});
  t.deepEqual(made, { created: true, commit: first });
  const inWorktree = await runCheckpointDir(join(wt, 'results/repro/x.sqlite'), 1);
  t.deepEqual(listCheckpoints(inWorktree).map((c) => c.step), listCheckpoints(await runCheckpointDir(db, 1)).map((c) => c.step));
  t.true(listCheckpoints(inWorktree).length > 0);
  t.deepEqual(readdirSync(join(wt, 'results/repro/checkpoints')), ['x.sqlite'], 'nothing dropped a level');
  // Started again: the made worktree is used; one left half-made (no ready mark) is refused.
  const again = readPlan(plan(repo, wt, { a: line }, first), repo);
  t.deepEqual(await ensureWorktree(again, () => {}), { created: false, commit: first });
  rmSync(join(wt, '.campaign', 'worktree-ready'));
  await t.throwsAsync(ensureWorktree(again, () => {}), { message: /was left half-made/ });
});
