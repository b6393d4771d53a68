// The SLURM launcher against a one-node cluster on 127.0.0.1 (munged, slurmctld and slurmd started
// here, state in a temp folder): --dry-run prints the batch script, a sweep finishes every job into
// the central store exactly once, a task killed with SIGKILL mid-job is submitted again and
// completes, a failing job is recorded failed with its error, and a job file from another harness
// version is refused by the task.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { startSlurm, stop, waitFor, type Slurm } from './daemons.js';
import { BIN, lastEvalStep, query, tmpDb } from './sweep-helpers.js';

const TINY = ['task.seq_len=20', 'model.hidden=8', 'task.test_size=50'];

let slurm: Slurm;
test.before(async () => {
  slurm = await startSlurm();
});
test.after.always(async () => {
  await slurm?.stop();
});

function irnn(args: string[], timeoutMs = 600_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: slurm.env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const folderOf = async (db: string, id: number) =>
  JSON.parse((await query<{ spec_json: string }>(db, 'SELECT spec_json FROM sweeps WHERE id = ?', [id]))[0]!.spec_json).folder as string;

test.serial('--dry-run prints the batch script it would submit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-slurm-sweeps-'));
  const r = await irnn(['sweep', 'launcher=slurm', `launcher.dir=${dir}`, 'launcher.partition=debug', 'launcher.max_parallel=2', 'launcher.pack=2',
    'launcher.time=00:10:00', 'launcher.signal_seconds=30', 'seed=range(0,3)', ...TINY, '--db', tmpDb(), '--dry-run']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^#!\/bin\/bash$/m);
  t.regex(r.stdout, /^#SBATCH --array=0-1%2$/m, 'three jobs packed two per task: two tasks, at most two at once');
  t.regex(r.stdout, /^#SBATCH --partition=debug$/m);
  t.regex(r.stdout, /^#SBATCH --time=00:10:00$/m);
  t.regex(r.stdout, /^#SBATCH --signal=B:TERM@30$/m);
  t.regex(r.stdout, /^#SBATCH --output=".*\/logs\/%A_%a\.out"$/m);
  t.regex(r.stdout, /^exec .* worker --slurm .*array-1\.tasks' --task "\$SLURM_ARRAY_TASK_ID"$/m);
  t.deepEqual(readdirSync(dir), [], 'a dry run submits and writes nothing');
});

test.serial('a 6-job sweep on the one-node cluster puts every run in the central store once', async (t) => {
  const db = tmpDb();
  const dir = mkdtempSync(join(tmpdir(), 'irnn-slurm-sweeps-'));
  const r = await irnn(['sweep', 'launcher=slurm', `launcher.dir=${dir}`, 'launcher.poll=1', 'launcher.max_parallel=2', 'seed=range(0,6)', 'train.steps=10', ...TINY, '--db', db]);
  t.is(r.code, 0, r.stderr + r.stdout);
  t.regex(r.stdout, /sweep 1 finished: 6 finished/);
  const runs = await query<{ id: number; status: string; origin: string | null }>(db, 'SELECT id, status, origin FROM runs');
  t.is(runs.length, 6);
  t.true(runs.every((x) => x.status === 'finished' && x.origin !== null));
  const folder = await folderOf(db, 1);
  t.is(readdirSync(join(folder, 'shards')).filter((f) => f.endsWith('.sqlite')).length, 6);
  t.is(readdirSync(join(folder, 'logs')).length, 6, 'one log per array task');
  const again = await irnn(['sweep', 'collect', '1', '--db', db]);
  t.regex(again.stdout, /merged 0 new shards \(6 read\)/);
  t.is((await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM runs'))[0]!.n, 6);
});

/** The pid of the array task's worker (`irnn worker --slurm ...`) whose command line names
 *  `needle` (a path only this test created); not `sbatch`, whose command line names it too while
 *  it submits. */
function pidWith(needle: string): number | null {
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv.includes('worker') && argv.includes('--slurm') && argv.some((a) => a.includes(needle))) return Number(p);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

test.serial('a task killed with SIGKILL mid-job is submitted again and its job completes once', async (t) => {
  const db = tmpDb();
  const dir = mkdtempSync(join(tmpdir(), 'irnn-slurm-sweeps-'));
  const scratch = mkdtempSync(join(tmpdir(), 'irnn-slurm-scratch-'));
  const sweep = spawn(process.execPath, [BIN, 'sweep', 'launcher=slurm', `launcher.dir=${dir}`, `launcher.scratch=${scratch}`, 'launcher.poll=1', 'train.steps=20000', 'train.eval_every=1000', ...TINY, '--db', db], { env: slurm.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  sweep.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  sweep.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const ended = new Promise<number | null>((r) => sweep.on('exit', (c) => r(c)));
  try {
    let pid: number | null = null;
    await waitFor('the array task to run', () => (pid = pidWith(join(dir, 'sweep-1-'))) !== null, 120_000);
    // kill as soon as the shard on scratch holds an evaluation past step 0: mid-job however fast the
    // machine is (a fixed wait let a quick machine finish all 20,000 steps before the kill)
    await waitFor('the task to evaluate past step 0', async () => (await lastEvalStep(scratch)) > 0, 120_000);
    try {
      process.kill(pid!, 'SIGKILL');
    } catch (e) {
      t.fail(`the task ended before the kill (${(e as Error).message}); it had evaluated step ${await lastEvalStep(scratch).catch(() => -1)}`);
      return;
    }
    const at = await lastEvalStep(scratch);
    t.true(at > 0 && at < 20_000, `the kill landed mid-job (its shard's last evaluation: step ${at})`);
    const code = await Promise.race([ended, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 400_000).unref())]);
    t.is(code, 0, out);
    const folder = await folderOf(db, 1);
    const state = JSON.parse(readFileSync(join(folder, 'slurm.json'), 'utf8')) as { attempts: Record<string, number>; arrays: number };
    t.is(state.attempts['1'], 2, 'submitted twice');
    t.is(state.arrays, 2);
    const runs = await query<{ status: string }>(db, 'SELECT status FROM runs');
    t.deepEqual(runs.map((r) => r.status), ['finished']);
    const steps = await query<{ step: number }>(db, "SELECT step FROM metrics WHERE name = 'valid_mse' ORDER BY step");
    t.deepEqual(steps.map((s) => s.step), Array.from({ length: 21 }, (_, i) => i * 1000), 'one run, evaluated once at each step');
  } finally {
    await stop(sweep);
  }
});

test.serial('SLURM signals a task near its time limit: the job checkpoints, ends interrupted, and its run is merged as such', async (t) => {
  const db = tmpDb();
  const dir = mkdtempSync(join(tmpdir(), 'irnn-slurm-sweeps-'));
  // a two-minute limit with TERM 75 s before it (45 s to start up, even on a loaded machine); the job would need far longer
  const r = await irnn(['sweep', 'launcher=slurm', `launcher.dir=${dir}`, 'launcher.poll=1', 'launcher.time=00:02:00', 'launcher.signal_seconds=75',
    'train.steps=1000000', 'train.eval_every=100', 'train.checkpoint_every=null', ...TINY, '--db', db], 300_000);
  t.is(r.code, 1, r.stderr + r.stdout);
  t.regex(r.stdout, /sweep 1 interrupted: 0 finished, 0 diverged, 0 failed, 1 not finished \(irnn sweep --resume 1\)/);
  const runs = await query<{ status: string; step: number; checkpoint_step: number | null }>(db, 'SELECT status, step, checkpoint_step FROM runs');
  t.is(runs.length, 1);
  t.is(runs[0]!.status, 'interrupted');
  t.true(runs[0]!.step > 0 && runs[0]!.step < 1_000_000);
  t.is(runs[0]!.checkpoint_step, runs[0]!.step, 'a checkpoint at the step it stopped');
  const jobs = await query<{ status: string }>(db, 'SELECT status FROM sweep_jobs');
  t.is(jobs[0]!.status, 'interrupted');
});

test.serial('a failing job is recorded failed with its error', async (t) => {
  const db = tmpDb();
  const dir = mkdtempSync(join(tmpdir(), 'irnn-slurm-sweeps-'));
  const r = await irnn(['sweep', 'launcher=slurm', `launcher.dir=${dir}`, 'launcher.poll=1', 'backend=tensorflow', 'train.steps=10', ...TINY, '--db', db]);
  t.is(r.code, 1, r.stderr);
  const jobs = await query<{ status: string; error: string | null }>(db, 'SELECT status, error FROM sweep_jobs');
  t.is(jobs[0]!.status, 'failed');
  t.regex(jobs[0]!.error ?? '', /tensorflow|tfjs-node/i);
});

test.serial('a task refuses a job planned by another harness version, and says so in its shard', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'irnn-slurm-version-'));
  mkdirSync(join(folder, 'jobs'));
  writeFileSync(join(folder, 'jobs', '1.json'), JSON.stringify({ token: 'tok', sweepId: 1, idx: 1, overrides: ['train.steps=5'], version: 'irnn-harness 0.0.1 (0123456789ab)' }));
  writeFileSync(join(folder, 'array-1.tasks'), '1\n');
  const r = await irnn(['worker', '--slurm', join(folder, 'array-1.tasks'), '--task', '0']);
  t.is(r.code, 0, r.stderr);
  const shards = readdirSync(join(folder, 'shards'));
  t.is(shards.length, 1);
  t.true(existsSync(join(folder, 'shards', shards[0]!)));
  const jobs = await query<{ status: string; error: string }>(join(folder, 'shards', shards[0]!), 'SELECT status, error FROM sweep_jobs');
  t.is(jobs[0]!.status, 'failed');
  t.regex(jobs[0]!.error, /version mismatch: the job was planned by irnn-harness 0\.0\.1/);
  t.is((await query<{ n: number }>(join(folder, 'shards', shards[0]!), 'SELECT COUNT(*) AS n FROM runs'))[0]!.n, 0, 'nothing trained');
});

test.serial('--detach submits the arrays and returns; sweeps show reads squeue; collect merges and settles the sweep', async (t) => {
  const db = tmpDb();
  const dir = mkdtempSync(join(tmpdir(), 'irnn-slurm-sweeps-'));
  // Submitted held (sbatch --hold), so the tasks are still pending when sweeps show reads squeue,
  // however long that takes on a loaded machine; released after.
  const r = await irnn(['sweep', 'launcher=slurm', `launcher.dir=${dir}`, 'launcher.extra=--hold', 'seed=range(0,2)', 'train.steps=10', ...TINY, '--db', db, '--detach']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /sweep 1 submitted .*irnn sweep collect 1/);
  const shown = await irnn(['sweeps', 'show', '1', '--db', db]);
  t.regex(shown.stdout, /sweep 1: running, 2 jobs \(2 queued\)/);
  t.regex(shown.stdout, /slurm: 2 pending/);
  const arrays = [...new Set([...shown.stdout.matchAll(/pending \((\d+)_\d+\)/g)].map((m) => m[1]!))];
  t.true(arrays.length > 0, shown.stdout);
  for (const id of arrays) execFileSync('scontrol', ['release', id], { env: slurm.env });
  const folder = await folderOf(db, 1);
  await waitFor('both shards', () => existsSync(join(folder, 'shards')) && readdirSync(join(folder, 'shards')).filter((f) => f.endsWith('.sqlite')).length === 2, 300_000);
  t.is((await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM runs'))[0]!.n, 0, 'nothing merged before collect');
  t.regex((await irnn(['sweeps', 'show', '1', '--db', db])).stdout, /slurm: 2 ready/);
  const c = await irnn(['sweep', 'collect', '1', '--db', db]);
  t.is(c.code, 0, c.stderr);
  t.regex(c.stdout, /merged 2 new shards .* 0 jobs still queued or running; sweep finished/);
  t.is((await query<{ n: number }>(db, "SELECT COUNT(*) AS n FROM runs WHERE status = 'finished'"))[0]!.n, 2);
});
