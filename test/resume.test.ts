// `irnn run --resume` end to end through the binary: a run killed with SIGKILL (or stopped with
// SIGTERM between two checkpoints) and resumed logs exactly the metric rows of a run that was never
// interrupted, a damaged newest checkpoint falls back to the one before, and resuming is refused
// for a finished run, with overrides, or across code versions unless --force.
// Timing metrics (TIMING_METRICS: ms_per_step, steps_per_sec) measure the machine, not the run, so
// they are the only rows left out of the comparison.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { composeConfig } from '../src/config/index.js';
import { Db } from '../src/store/db.js';
import { TIMING_METRICS, train } from '../src/train/run.js';
import { listCheckpoints, readCheckpoint, writeCheckpoint } from '../src/train/checkpoint-file.js';
import { irnn, irnnDetached, query, runCheckpointDir, tmpDb } from './sweep-helpers.js';
import { sleep } from '../src/util/time.js';

const RUN = ['task.seq_len=30', 'model.hidden=24', 'task.test_size=100', 'train.steps=4000', 'train.eval_every=100'];

/** Every metric row of run `id` but the timing ones (TIMING_METRICS), as "step name value" lines. */
async function rows(db: string, id: number): Promise<string[]> {
  const r = await query<{ step: number; name: string; value: number | null }>(
    db, 'SELECT step, name, value FROM metrics WHERE run_id = ? ORDER BY step, name', [id],
  );
  return r.filter((x) => !TIMING_METRICS.includes(x.name)).map((x) => `${x.step} ${x.name} ${x.value}`);
}

/** Polls run 1 of a store until `ok` holds for its row. */
async function until(db: string, ok: (r: { step: number; status: string; checkpoint_step: number | null }) => boolean): Promise<boolean> {
  for (let i = 0; i < 2400; i++) {
    await sleep(50);
    const r = await query<{ step: number; status: string; checkpoint_step: number | null }>(db, 'SELECT step, status, checkpoint_step FROM runs WHERE id = 1').catch(() => []);
    if (r[0] && ok(r[0])) return true;
  }
  return false;
}

/** The uninterrupted twin of a run with these overrides, in a store of its own. */
async function twin(overrides: string[]): Promise<string[]> {
  const db = tmpDb();
  const r = await irnn(['run', ...overrides, '--db', db]);
  if (r.code !== 0) throw new Error(r.stderr);
  return rows(db, 1);
}

test('SIGKILL mid-run, a damaged newest checkpoint, then --resume: the run finishes with the metric rows of an uninterrupted run', async (t) => {
  const db = tmpDb();
  const args = [...RUN, 'train.checkpoint_every=500'];
  const reference = twin(args);
  const child = irnnDetached(['run', ...args, '--db', db]);
  t.true(await until(db, (r) => (r.checkpoint_step ?? 0) >= 1000), 'two checkpoints were written');
  process.kill(-child.pid!, 'SIGKILL');
  await sleep(300);
  const [killed] = await query<{ status: string; step: number; checkpoint_step: number }>(db, 'SELECT status, step, checkpoint_step FROM runs WHERE id = 1');
  t.is(killed!.status, 'running', 'left running by the kill');
  t.true(killed!.step < 4000, `killed mid-run (step ${killed!.step})`);

  const files = listCheckpoints(await runCheckpointDir(db, 1));
  t.is(files.length, 2, 'the newest two are kept');
  const newest = files[1]!;
  const bytes = readFileSync(newest.path);
  writeFileSync(newest.path, bytes.subarray(0, bytes.length - 100)); // a torn write
  const resumed = await irnn(['run', '--resume', '1', '--db', db]);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stderr, new RegExp(`step-0*${newest.step}\\.ckpt is damaged \\(checksum mismatch\\); using the previous one \\(step ${files[0]!.step}\\)`));
  t.regex(resumed.stdout, new RegExp(`resumed at step ${files[0]!.step} from `));
  t.regex(resumed.stdout, /run 1 finished at step 4000/);
  t.deepEqual(await rows(db, 1), await reference);
  const [run] = await query<{ status: string; resumes_json: string; checkpoint_path: string | null }>(db, 'SELECT * FROM runs WHERE id = 1');
  t.is(run!.status, 'finished');
  t.like(JSON.parse(run!.resumes_json), [{ step: files[0]!.step, forced: false }]);
  t.is(run!.checkpoint_path, null, 'a finished run keeps no checkpoint');
  t.deepEqual(listCheckpoints(await runCheckpointDir(db, 1)), []);
});

test('SIGTERM writes a checkpoint between periodic ones; --resume continues exactly from that step', async (t) => {
  const db = tmpDb();
  const args = [...RUN, 'train.checkpoint_every=null'];
  const reference = twin(args);
  const child = irnnDetached(['run', ...args, '--db', db]);
  t.true(await until(db, (r) => r.step >= 500));
  process.kill(child.pid!, 'SIGTERM');
  t.true(await until(db, (r) => r.status === 'interrupted'));
  const [stopped] = await query<{ step: number; checkpoint_step: number }>(db, 'SELECT step, checkpoint_step FROM runs WHERE id = 1');
  t.is(stopped!.checkpoint_step, stopped!.step, 'the checkpoint is at the step it stopped');
  const resumed = await irnn(['run', '--resume', '1', '--db', db]);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(await rows(db, 1), await reference);
});

test('resuming is refused for a finished run, with overrides, and across code versions unless --force', async (t) => {
  const db = tmpDb();
  const args = [...RUN, 'train.steps=300', 'train.checkpoint_every=100', 'model.hidden=8'];
  t.is((await irnn(['run', ...args, '--db', db])).code, 0);
  const finished = await irnn(['run', '--resume', '1', '--db', db]);
  t.is(finished.code, 2);
  t.regex(finished.stderr, /run 1 is finished: there is nothing to resume/);
  const withOverrides = await irnn(['run', '--resume', '1', 'seed=3', '--db', db]);
  t.is(withOverrides.code, 2);
  t.regex(withOverrides.stderr, /--resume 1 takes no overrides/);
  t.is((await irnn(['run', '--resume', '9', '--db', db])).code, 2);

  // Run 2 stopped at step 200 (interrupted in process), its checkpoint then marked as written by
  // another code version.
  const store = await Db.open(db);
  const controller = new AbortController();
  const stopped = await train({
    resolved: composeConfig({ overrides: [...args, 'train.steps=600'] }),
    db: store,
    signal: controller.signal,
    events: { onStep: (e) => e.step === 200 && controller.abort() },
  });
  await store.close();
  t.is(stopped.status, 'interrupted');
  const file = listCheckpoints(await runCheckpointDir(db, 2)).pop()!;
  t.is(file.step, 200);
  const content = readCheckpoint(file.path);
  writeCheckpoint(await runCheckpointDir(db, 2), { ...content, meta: { ...content.meta, code: 'an-older-commit' } }, 2);
  const refused = await irnn(['run', '--resume', '2', '--db', db]);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /written by code version an-older-commit, this is .*Resume anyway with --force/);
  t.is((await query<{ status: string }>(db, 'SELECT status FROM runs WHERE id = 2'))[0]!.status, 'interrupted', 'a refusal changes nothing');
  const forced = await irnn(['run', '--resume', '2', '--force', '--db', db, '--quiet']);
  t.is(forced.code, 0, forced.stderr);
  t.regex(forced.stderr, /resuming across code versions \(an-older-commit -> .*\), as forced/);
  const [run] = await query<{ status: string; step: number; resumes_json: string }>(db, 'SELECT status, step, resumes_json FROM runs WHERE id = 2');
  t.is(run!.status, 'finished');
  t.is(run!.step, 600);
  t.like(JSON.parse(run!.resumes_json), [{ step: 200, checkpointCode: 'an-older-commit', forced: true }]);
});
