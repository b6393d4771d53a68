import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Db } from '../src/store/db.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { oldStore } from './old-store.js';
import { createRun, describeRun, finishRun, findFinished, getRun, listRuns, logMetrics, metricHistory } from '../src/store/runs.js';
import { isUserError } from '../src/util/errors.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'irnn-store-'));
const newRun = (over: Partial<Parameters<typeof createRun>[1]> = {}) => ({
  task: 'adding', model: 'irnn', seed: 3, config: { seed: 3, model: { hidden: 4 } }, configHash: 'abc', overrides: ['seed=3'],
  steps: 10, git: { commit: 'deadbeef', dirty: true }, versions: { node: '20' }, host: 'h', pid: 1, ...over,
});

test('a run round-trips with its metrics, and final metrics are the last logged values', async (t) => {
  const db = await Db.open(join(tmp(), 'r.sqlite'));
  const id = await createRun(db, newRun());
  await describeRun(db, id, { backend: 'wasm', engine: 'fused', taskInfo: { seq_len: 20 }, params: 123 });
  await logMetrics(db, id, 0, { test_mse: 0.2 });
  await logMetrics(db, id, 5, { test_mse: 0.1, train_loss: 0.3 });
  await logMetrics(db, id, 5, { test_mse: 0.1, train_loss: 0.3 }); // idempotent: no duplicate rows
  await logMetrics(db, id, 10, { test_mse: 0.05 });
  await finishRun(db, id, { status: 'finished', step: 10, details: { note: 1 } });
  const r = (await getRun(db, id))!;
  t.is(r.status, 'finished');
  t.deepEqual(r.config, { seed: 3, model: { hidden: 4 } });
  t.deepEqual(r.overrides, ['seed=3']);
  t.deepEqual(r.git, { commit: 'deadbeef', dirty: true });
  t.deepEqual(r.taskInfo, { seq_len: 20 });
  t.deepEqual(r.details, { note: 1 });
  t.is(r.params, 123);
  t.is(r.backend, 'wasm');
  t.deepEqual(r.metrics, { test_mse: 0.05, train_loss: 0.3 });
  t.is((await metricHistory(db, id)).length, 4);
  t.is(await findFinished(db, 'abc'), id);
  t.is(await findFinished(db, 'other'), undefined);
  await db.close();
});

test('listing filters by task, model and status', async (t) => {
  const db = await Db.open(join(tmp(), 'r.sqlite'));
  const a = await createRun(db, newRun());
  const b = await createRun(db, newRun({ model: 'lstm' }));
  await finishRun(db, b, { status: 'diverged', step: 3, divergedStep: 3, error: 'loss became NaN' });
  t.deepEqual((await listRuns(db, { model: 'lstm' })).map((r) => r.id), [b]);
  t.deepEqual((await listRuns(db, { status: 'running' })).map((r) => r.id), [a]);
  t.is((await getRun(db, b))!.divergedStep, 3);
  await db.close();
});

test('a file that is not a SQLite database is refused and left untouched', async (t) => {
  const p = join(tmp(), 'notes.txt');
  writeFileSync(p, 'my precious notes\n');
  const e = await t.throwsAsync(Db.open(p));
  t.true(isUserError(e));
  t.regex(e!.message, /not a SQLite database/);
  t.is(readFileSync(p, 'utf8'), 'my precious notes\n');
});

const version = async (db: Db) => (await db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version;

test('reopening a store keeps its data and its schema version', async (t) => {
  const p = join(tmp(), 'r.sqlite');
  const db = await Db.open(p);
  t.is(await version(db), MIGRATIONS.length);
  const id = await createRun(db, newRun());
  await db.close();
  const again = await Db.open(p);
  t.is(await version(again), MIGRATIONS.length);
  t.is((await getRun(again, id))!.id, id);
  await again.close();
});

test('reading a store neither creates, migrates nor changes it', async (t) => {
  const missing = join(tmp(), 'typo', 'dir', 'store.sqlite');
  const e = await t.throwsAsync(Db.openReadOnly(missing));
  t.true(isUserError(e));
  t.is(e!.message, `no store at ${missing}`);
  t.false(existsSync(dirname(dirname(missing))), 'no folder is created');

  const p = await oldStore(tmp());
  const before = readFileSync(p);
  const db = await Db.openReadOnly(p);
  t.is((await listRuns(db)).length, 1);
  t.is(await version(db), 1);
  t.is((await db.get<{ journal_mode: string }>('PRAGMA journal_mode'))!.journal_mode, 'delete');
  await t.throwsAsync(db.exec('DELETE FROM runs'), { message: /readonly|read-only|query_only/i });
  await db.close();
  t.deepEqual(readFileSync(p), before);
  t.deepEqual(readdirSync(dirname(p)), ['old.sqlite']);
});

test('a store from a newer harness is refused for reading', async (t) => {
  const p = join(tmp(), 'new.sqlite');
  const db = await Db.open(p);
  await db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
  await db.close();
  const e = await t.throwsAsync(Db.openReadOnly(p));
  t.regex(e!.message, new RegExp(`schema version ${MIGRATIONS.length + 1}.*knows ${MIGRATIONS.length}`));
});

test('two processes opening a new store at the same moment both succeed', async (t) => {
  const { fork } = await import('node:child_process');
  const p = join(tmp(), 'new.sqlite');
  const script = join(tmp(), 'open.mts');
  writeFileSync(script, `import { Db } from ${JSON.stringify(new URL('../src/store/db.ts', import.meta.url).pathname)};\nconst db = await Db.open(process.argv[2]);\nawait db.close();\n`);
  const codes = await Promise.all([0, 1, 2].map(() => new Promise<number | null>((resolve) => {
    fork(script, [p], { execArgv: ['--import', 'tsx'], stdio: 'ignore' }).on('exit', resolve);
  })));
  t.deepEqual(codes, [0, 0, 0]);
  const db = await Db.open(p);
  const v = await db.get<{ user_version: number }>('PRAGMA user_version');
  t.true(v!.user_version >= 1);
  await db.close();
});
