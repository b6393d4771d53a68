// A store as an older harness left it (only the first migration, rollback journal, one finished
// run with its metrics), written with sqlite3 directly so that nothing migrates it.
import sqlite3 from 'sqlite3';
import { join } from 'node:path';
import { MIGRATIONS } from '../src/store/migrations.js';

export async function oldStore(dir: string): Promise<string> {
  const p = join(dir, 'old.sqlite');
  const raw = await new Promise<sqlite3.Database>((res, rej) => {
    const d = new sqlite3.Database(p, (e) => (e ? rej(e) : res(d)));
  });
  const exec = (sql: string) => new Promise<void>((res, rej) => raw.exec(sql, (e) => (e ? rej(e) : res())));
  await exec(`PRAGMA journal_mode = DELETE; ${MIGRATIONS[0]} PRAGMA user_version = 1;`);
  await exec(`INSERT INTO runs (status, task, model, seed, config_json, config_hash, overrides_json, steps, started_at, step, backend, engine)
              VALUES ('finished', 'adding', 'irnn', 0, '{"seed":0,"task":{"name":"adding"},"model":{"name":"irnn","hidden":8}}', 'h', '[]', 2,
                      '2024-01-01T00:00:00Z', 2, 'wasm', 'fused');
              INSERT INTO metrics (run_id, step, name, value, wall_time) VALUES (1, 0, 'test_mse', 0.2, 1), (1, 2, 'test_mse', 0.1, 2);`);
  await new Promise<void>((res) => raw.close(() => res()));
  return p;
}
