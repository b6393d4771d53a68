// The SLURM launcher across `irnn sweep --resume`, on fake SLURM commands (fake-slurm.ts): every
// submission of a job is an attempt of its own. A resubmitted job whose task is gone is recorded
// lost (not polled for ever) although an earlier attempt's shard is in the folder; a job stopped
// as by its time limit publishes its checkpoint beside its shard, and a resume continues that same
// run from it on another "node" to the end; an earlier attempt's failed shard never fails the new
// attempt. Array tasks run here as the batch script runs them.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Db } from '../src/store/db.js';
import { storeCheckpointsDir } from '../src/train/checkpoint-file.js';
import { waitFor } from './daemons.js';
import { fakeSlurm, type FakeSlurm } from './fake-slurm.js';
import { BIN, query } from './sweep-helpers.js';

const TINY = ['task.seq_len=20', 'model.hidden=8', 'task.test_size=50'];

let fake: FakeSlurm;
test.before(() => {
  fake = fakeSlurm();
});
test.after.always(() => fake?.remove());

function irnn(args: string[], timeoutMs = 300_000): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: fake.env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const e = err as { code?: number; killed?: boolean } | null;
      resolve({ code: !e ? 0 : e.killed ? 'timed out' : (e.code ?? 1), stdout, stderr });
    });
  });
}

const folderOf = async (db: string) => JSON.parse((await query<{ spec_json: string }>(db, 'SELECT spec_json FROM sweeps WHERE id = 1'))[0]!.spec_json).folder as string;
const job = async (db: string) => (await query<{ status: string; run_id: number | null; error: string | null }>(db, 'SELECT status, run_id, error FROM sweep_jobs'))[0]!;

/** Runs array task 0 of array 1 by hand, as its batch script would; resolves when it exits. */
function runTask(folder: string, scratch: string): { done: Promise<number | null>; stop(): void } {
  const child = spawn(process.execPath, [BIN, 'worker', '--slurm', join(folder, 'array-1.tasks'), '--task', '0', '--scratch', scratch], { stdio: 'ignore' });
  return { done: new Promise((r) => child.on('exit', (c) => r(c))), stop: () => child.kill('SIGTERM') };
}

/** The highest step of `valid_mse` in the shard a task is training into under `scratch`. */
async function shardStep(scratch: string): Promise<number> {
  for (const d of existsSync(scratch) ? readdirSync(scratch) : []) {
    for (const f of readdirSync(join(scratch, d)).filter((x) => /^job-.*\.sqlite$/.test(x))) {
      const db = await Db.openReadOnly(join(scratch, d, f));
      try {
        return (await db.get<{ s: number | null }>("SELECT MAX(step) AS s FROM metrics WHERE name = 'valid_mse'"))?.s ?? -1;
      } finally {
        await db.close();
      }
    }
  }
  return -1;
}

test.serial('a stopped job publishes its checkpoint; a resumed attempt lost at once is recorded lost; the next resume continues the same run to its end', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'irnn-slurm-attempts-'));
  const db = join(root, 'results.sqlite');
  const scratch = join(root, 'scratch');
  mkdirSync(scratch);
  fake.hold(true);
  const r = await irnn(['sweep', 'launcher=slurm', `launcher.dir=${join(root, 'sweeps')}`, 'launcher.poll=0.2', 'launcher.retries=0',
    'train.steps=6000', 'train.eval_every=1000', 'train.checkpoint_every=null', ...TINY, '--db', db, '--detach']);
  t.is(r.code, 0, r.stderr);
  const folder = await folderOf(db);
  // attempt 1, stopped by SIGTERM as a time limit stops it, past its first evaluations
  const task = runTask(folder, scratch);
  await waitFor('training past step 1000', async () => (await shardStep(scratch)) >= 1000, 120_000);
  task.stop();
  t.is(await task.done, 0);
  const shards = readdirSync(join(folder, 'shards')).filter((f) => f.endsWith('.sqlite'));
  t.is(shards.length, 1);
  t.regex(shards[0]!, /^job-1-a1-/);
  // beside the shard, in the run's own folder (run id and the first digits of its uid)
  const store = storeCheckpointsDir(join(folder, 'shards', shards[0]!));
  const runDirs = existsSync(store) ? readdirSync(store).filter((d) => /^1-[0-9a-f]{8}$/.test(d)) : [];
  t.is(runDirs.length, 1, 'one checkpoint folder for run 1');
  t.true(runDirs.length === 1 && readdirSync(join(store, runDirs[0]!)).some((f) => f.endsWith('.ckpt')), 'the checkpoint reached the shared folder');
  t.is((await irnn(['sweep', 'collect', '1', '--db', db])).code, 0);
  const stopped = (await query<{ id: number; status: string; step: number }>(db, 'SELECT id, status, step FROM runs'))[0]!;
  t.like(stopped, { id: 1, status: 'interrupted' });
  t.true(stopped.step >= 1000 && stopped.step < 6000);

  // attempt 2 is submitted, and its task is gone at once: lost, whatever attempt 1 left in the folder
  const lost = await irnn(['sweep', '--resume', '1', '--db', db], 120_000);
  t.is(lost.code, 1, lost.stdout + lost.stderr);
  t.like(await job(db), { status: 'failed' });
  t.regex((await job(db)).error ?? '', /ended without a result/);

  // attempt 3 runs: it continues run 1 from its checkpoint, and the store keeps one run
  fake.hold(false);
  const done = await irnn(['sweep', '--resume', '1', '--db', db]);
  t.is(done.code, 0, done.stdout + done.stderr);
  t.regex(done.stdout, /continued from checkpoints: job 1/);
  const runs = await query<{ id: number; status: string; resumes_json: string | null }>(db, 'SELECT id, status, resumes_json FROM runs');
  t.is(runs.length, 1);
  t.like(runs[0], { id: 1, status: 'finished' });
  t.is((JSON.parse(runs[0]!.resumes_json ?? '[]') as Array<{ step: number }>)[0]?.step, stopped.step, 'continued from the step it stopped at');
  const steps = await query<{ step: number }>(db, "SELECT step FROM metrics WHERE run_id = 1 AND name = 'valid_mse' ORDER BY step");
  t.deepEqual(steps.map((s) => s.step), [0, 1000, 2000, 3000, 4000, 5000, 6000]);
  t.like(await job(db), { status: 'finished', run_id: 1 });
});

test.serial("an earlier attempt's failed shard does not fail the job's next attempt", async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'irnn-slurm-attempts-'));
  const db = join(root, 'results.sqlite');
  fake.hold(true);
  const r = await irnn(['sweep', 'launcher=slurm', `launcher.dir=${join(root, 'sweeps')}`, 'launcher.poll=0.2', 'train.steps=10', ...TINY, '--db', db, '--detach']);
  t.is(r.code, 0, r.stderr);
  const folder = await folderOf(db);
  // attempt 1 fails: its job file names another harness version
  const file = join(folder, 'jobs', '1.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), version: 'irnn-harness 0.0.1 (0123456789ab)' }));
  mkdirSync(join(root, 'scratch'));
  const task = runTask(folder, join(root, 'scratch'));
  t.is(await task.done, 0);
  t.is((await irnn(['sweep', 'collect', '1', '--db', db])).code, 0);
  t.like(await job(db), { status: 'failed', run_id: null });

  fake.hold(false);
  const again = await irnn(['sweep', '--resume', '1', '--db', db]);
  t.is(again.code, 0, again.stdout + again.stderr);
  t.like(await job(db), { status: 'finished', error: null });
  t.deepEqual(await query<{ status: string }>(db, 'SELECT status FROM runs'), [{ status: 'finished' }]);
});

test.serial('a --scratch folder that does not exist yet is made; one that cannot be is one line naming it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'irnn-slurm-scratch-'));
  mkdirSync(join(root, 'jobs'));
  // a job refused at once (another harness version): the task runs no training
  writeFileSync(join(root, 'jobs', '1.json'), JSON.stringify({ token: 'tok', sweepId: 1, idx: 1, overrides: [], version: 'irnn-harness 0.0.1 (0123456789ab)' }));
  writeFileSync(join(root, 'array-1.tasks'), '1\n');
  const scratch = join(root, 'node', 'local', 'scratch');
  const ok = await irnn(['worker', '--slurm', join(root, 'array-1.tasks'), '--task', '0', '--scratch', scratch]);
  t.is(ok.code, 0, ok.stderr);
  t.true(existsSync(scratch));
  t.is(readdirSync(join(root, 'shards')).filter((f) => f.endsWith('.sqlite')).length, 1);
  writeFileSync(join(root, 'file'), '');
  const bad = await irnn(['worker', '--slurm', join(root, 'array-1.tasks'), '--task', '0', '--scratch', join(root, 'file', 'scratch')]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /^Error: --scratch .*\/file\/scratch: cannot make a folder there \(ENOTDIR\)\n$/);
});
