// Migrating a store written before checkpoints and ASHA: its runs, metrics and jobs stay as they
// were, the status checks accept `pruned` (and still refuse anything else), the new columns read
// back, and a connection opened before the migration sees the new schema too.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { Db } from '../src/store/db.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { finishRun, getRun } from '../src/store/runs.js';

const exec = (d: sqlite3.Database, sql: string) => new Promise<void>((res, rej) => d.exec(sql, (e) => (e ? rej(e) : res())));

test('a store from before migration 3 keeps its data and accepts pruned runs and jobs', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'irnn-migrate-')), 'old.sqlite');
  const old = new sqlite3.Database(path);
  await exec(old, `PRAGMA journal_mode = WAL; ${MIGRATIONS[0]} ${MIGRATIONS[1]} PRAGMA user_version = 2;
    INSERT INTO runs (status, task, model, seed, config_json, config_hash, overrides_json, steps, started_at)
      VALUES ('finished', 'adding', 'irnn', 0, '{}', 'h', '[]', 10, '2020-01-01');
    INSERT INTO metrics VALUES (1, 10, 'test_mse', 0.5, 1);
    INSERT INTO sweeps (spec_json, command, status, created_at) VALUES ('{}', 'c', 'finished', '2020-01-01');
    INSERT INTO sweep_jobs (sweep_id, idx, overrides_json, config_hash, status, run_id) VALUES (1, 1, '[]', 'h', 'finished', 1);`);
  await t.throwsAsync(exec(old, "UPDATE runs SET status = 'pruned'"), { message: /CHECK constraint/ });

  const db = await Db.open(path); // migrates, while `old` stays open
  t.is((await db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version, MIGRATIONS.length);
  const run = (await getRun(db, 1))!;
  t.like(run, { status: 'finished', checkpoint: null, prune: null, resumes: [], metrics: { test_mse: 0.5 } });
  await finishRun(db, 1, { status: 'pruned', step: 5, prune: { rung: 5, reason: 'ranks 3 of 3' } });
  t.like(await getRun(db, 1), { status: 'pruned', prune: { rung: 5, reason: 'ranks 3 of 3' } });
  await db.run("UPDATE sweep_jobs SET status = 'pruned'");
  await t.throwsAsync(db.run("UPDATE runs SET status = 'paused'"), { message: /CHECK constraint/ });
  await t.throwsAsync(db.run("UPDATE sweep_jobs SET status = 'paused'"), { message: /CHECK constraint/ });

  await exec(old, "UPDATE runs SET status = 'interrupted', prune_rung = NULL; UPDATE runs SET status = 'pruned'");
  t.deepEqual(await db.all('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  await db.close();
  await new Promise((r) => old.close(r));
});
