// The SQLite store: opening (WAL, busy timeout, foreign keys), numbered migrations, and promise
// wrappers over the sqlite3 callbacks that retry while another process holds the write lock.
// Queries live in runs.ts / metrics.ts; nothing here knows about training.
import { existsSync, mkdirSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite3 from 'sqlite3';
import { UserError } from '../util/errors.js';
import { MIGRATIONS } from './migrations.js';

export const DEFAULT_DB = 'results/results.sqlite';
type Param = string | number | null | boolean;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isBusy = (e: unknown) => /SQLITE_BUSY|SQLITE_LOCKED/.test(String((e as Error)?.message ?? e));

export class Db {
  private constructor(private readonly db: sqlite3.Database, readonly path: string) {}

  /** Opens (creating if needed) and migrates a store. A file that is not a SQLite database is
   *  refused with a user error and left untouched. */
  static async open(path: string = DEFAULT_DB): Promise<Db> {
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) throw new UserError(`--db ${path}: is a directory, not a SQLite file`);
      if (statSync(path).size > 0 && !hasSqliteHeader(path)) {
        throw new UserError(`--db ${path}: not a SQLite database (left untouched)`);
      }
    } else if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
    }
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(path, (err) => (err ? reject(new UserError(`--db ${path}: ${err.message}`)) : resolve(d)));
    });
    raw.configure('busyTimeout', 15000);
    const db = new Db(raw, path);
    await db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;');
    await db.migrate();
    return db;
  }

  /** Opens an existing store for reading only (the dashboard): nothing is created, migrated or
   *  switched; SQLite refuses every write on this connection. In WAL mode readers never block the
   *  processes that write. A store older than this code's schema is refused (writing commands
   *  migrate it); a newer one is read as far as its tables go. */
  static async openReadOnly(path: string): Promise<Db> {
    if (!existsSync(path) || statSync(path).isDirectory()) throw new UserError(`no store at ${path}`);
    if (!hasSqliteHeader(path)) throw new UserError(`--db ${path}: not a SQLite database`);
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (err) => (err ? reject(new UserError(`--db ${path}: ${err.message}`)) : resolve(d)));
    });
    raw.configure('busyTimeout', 15000);
    const db = new Db(raw, path);
    const v = (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
    if (v < MIGRATIONS.length) {
      await db.close();
      throw new UserError(`--db ${path}: store schema version ${v} is older than this irnn's (${MIGRATIONS.length}); any writing command (irnn run, irnn sweep) migrates it`);
    }
    return db;
  }

  /** Applies pending migrations one transaction each, reading the version inside the write
   *  lock, so two processes opening a new store at once never apply the same migration twice. */
  private async migrate(): Promise<void> {
    const version = async () => (await this.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
    if ((await version()) >= MIGRATIONS.length) return;
    for (;;) {
      const applied = await this.transaction(async () => {
        const v = await version();
        if (v >= MIGRATIONS.length) return false;
        await this.exec(MIGRATIONS[v]!);
        await this.exec(`PRAGMA user_version = ${v + 1}`);
        return true;
      });
      if (!applied) return;
    }
  }

  private async retry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isBusy(e) || attempt >= 50) throw e;
        await sleep(20 + Math.random() * 80);
      }
    }
  }

  exec(sql: string): Promise<void> {
    return this.retry(() => new Promise((res, rej) => this.db.exec(sql, (e) => (e ? rej(e) : res()))));
  }

  run(sql: string, params: Param[] = []): Promise<{ lastID: number; changes: number }> {
    return this.retry(
      () =>
        new Promise((res, rej) =>
          this.db.run(sql, params, function (this: sqlite3.RunResult, e: Error | null) {
            if (e) rej(e);
            else res({ lastID: this.lastID, changes: this.changes });
          }),
        ),
    );
  }

  get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return this.retry(() => new Promise((res, rej) => this.db.get(sql, params, (e, row) => (e ? rej(e) : res(row as T | undefined)))));
  }

  all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return this.retry(() => new Promise((res, rej) => this.db.all(sql, params, (e, rows) => (e ? rej(e) : res(rows as T[])))));
  }

  /** Runs `fn` inside BEGIN IMMEDIATE ... COMMIT (rolled back on error). Not re-entrant. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.exec('BEGIN IMMEDIATE');
    try {
      const r = await fn();
      await this.exec('COMMIT');
      return r;
    } catch (e) {
      await this.exec('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  close(): Promise<void> {
    return new Promise((res, rej) => this.db.close((e) => (e ? rej(e) : res())));
  }
}

function hasSqliteHeader(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(16);
    readSync(fd, buf, 0, 16, 0);
    return buf.toString('latin1') === 'SQLite format 3\0';
  } finally {
    closeSync(fd);
  }
}
