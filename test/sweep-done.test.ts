// What counts as done for a sweep when the code has changed: by default any finished run with the
// job's config; the dry run says how many of those ran other code (another commit, uncommitted
// changes); --rerun-other-commits counts only runs of the current commit from a clean checkout.
import test from 'ava';
import { composeConfig, configHash } from '../src/config/index.js';
import { planNew } from '../src/launch/plan.js';
import { Db } from '../src/store/db.js';
import { createRun, finishRun } from '../src/store/runs.js';
import { irnn, query, tmpDb } from './sweep-helpers.js';

const TINY = ['task.seq_len=6', 'model.hidden=4', 'task.test_size=10', 'train.steps=3'];
const hashOf = (overrides: string[]) => configHash(composeConfig({ overrides }).config);

/** A finished run of `overrides` as if trained at `commit` (dirty or clean), without training. */
async function finished(db: Db, overrides: string[], git: { commit: string; dirty: boolean }): Promise<number> {
  const cfg = composeConfig({ overrides }).config;
  const id = await createRun(db, {
    task: 'adding', model: 'irnn', seed: cfg.seed, config: cfg, configHash: configHash(cfg), overrides, steps: 3,
    git, versions: {}, host: 'h', pid: 1,
  });
  await finishRun(db, id, { status: 'finished', step: 3 });
  return id;
}

test('planning: done by any code by default, by this commit only under --rerun-other-commits', async (t) => {
  const path = tmpDb();
  const db = await Db.open(path);
  const job = (seed: number) => [...TINY, `seed=${seed}`];
  const older = await finished(db, job(0), { commit: 'bbb', dirty: false });
  const same = await finished(db, job(0), { commit: 'aaa', dirty: false });
  const other = await finished(db, job(1), { commit: 'bbb', dirty: false });
  const dirty = await finished(db, job(2), { commit: 'aaa', dirty: true });
  t.true(older < same);
  const overrides = [...TINY, 'seed=0,1,2,3'];
  const plan = (o: { rerunOtherCommits?: boolean; code: { commit: string | null } }) =>
    planNew(db, { overrides, ...o }).then(({ jobs }) => jobs.map((j) => [j.doneRunId, j.doneByOtherCode]));

  // A run of this very code is preferred over an older one of another commit.
  t.deepEqual(await plan({ code: { commit: 'aaa' } }), [[same, false], [other, true], [dirty, true], [null, false]]);
  t.deepEqual(await plan({ code: { commit: 'aaa' }, rerunOtherCommits: true }), [[same, false], [null, false], [null, false], [null, false]]);
  // A checkout with uncommitted changes: no run is known to be of this code.
  t.deepEqual(await plan({ code: { commit: null } }), [[older, true], [other, true], [dirty, true], [null, false]]);
  t.deepEqual(await plan({ code: { commit: null }, rerunOtherCommits: true }), [[null, false], [null, false], [null, false], [null, false]]);
  t.is(hashOf(job(0)), (await planNew(db, { overrides: job(0) })).jobs[0]!.configHash);
  await db.close();
});

test('the dry run counts done jobs from another commit, and --rerun-other-commits runs them again', async (t) => {
  const path = tmpDb();
  const db = await Db.open(path);
  const stale = await finished(db, [...TINY, 'seed=0'], { commit: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef', dirty: false });
  await db.close();
  const sweep = ['sweep', ...TINY, 'seed=0,1', '--jobs', '1', '-q', '--db', path];

  const dry = await irnn([...sweep, '--dry-run']);
  t.is(dry.code, 0, dry.stderr);
  t.regex(dry.stdout, /^2 jobs \(1 already done, 1 of them by other code \(another commit or uncommitted changes; --rerun-other-commits runs those again\)\)/);
  t.regex(dry.stdout, new RegExp(`job 1: .*seed=0  \\[done: run ${stale}, other code\\]\\n`));
  t.regex(dry.stdout, /job 2: .*seed=1\n/);
  const strictDry = await irnn([...sweep, '--dry-run', '--rerun-other-commits']);
  t.is(strictDry.code, 0, strictDry.stderr);
  t.notRegex(strictDry.stdout, /\[done/);

  const strict = await irnn([...sweep, '--rerun-other-commits']);
  t.is(strict.code, 0, strict.stderr);
  const runs = await query<{ id: number; seed: number; git_commit: string }>(path, 'SELECT id, seed, git_commit FROM runs ORDER BY id');
  t.deepEqual(runs.map((r) => r.seed), [0, 0, 1], 'seed 0 ran again beside the run of the other commit');
  const jobs = await query<{ run_id: number }>(path, 'SELECT run_id FROM sweep_jobs WHERE sweep_id = 1 ORDER BY idx');
  t.true(jobs.every((j) => j.run_id !== stale), 'no job links the run of the other commit');

  // Without the flag the same sweep again runs nothing: every job has a finished run.
  const again = await irnn(sweep);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /all 2 jobs are already done/);
  t.is((await query(path, 'SELECT id FROM runs')).length, 3);
});
