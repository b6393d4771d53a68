// The SQLite store: opening for writing (WAL, busy timeout, foreign keys, numbered migrations) or
// for reading only (read-only.ts: no byte of the store or its -wal/-shm files changes), and promise
// wrappers over the sqlite3 callbacks that retry while another process holds the write lock.
// Queries live in runs.ts / metrics.ts; nothing here knows about training.
import { existsSync, mkdirSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite3 from 'sqlite3';
import { UserError } from '../util/errors.js';
import { sleep } from '../util/time.js';
import { MIGRATIONS } from './migrations.js';
import { ReadOnlySource } from './read-only.js';

export const DEFAULT_DB = 'results/results.sqlite';
type Param = string | number | null | boolean;

const isBusy = (e: unknown) => /SQLITE_BUSY|SQLITE_LOCKED/.test(String((e as Error)?.message ?? e));

export class Db {
  private constructor(
    private db: sqlite3.Database,
    readonly path: string,
    /** A read-only store: where its handle comes from, renewed when the store changes under a
     *  handle that cannot see it (see read-only.ts). */
    private readonly source: ReadOnlySource | null = null,
  ) {}

  /** Opens (creating if needed) and migrates a store. A file that is not a SQLite database is
   *  refused with a user error and left untouched. */
  static async open(path: string = DEFAULT_DB): Promise<Db> {
    if (existsSync(path)) checkFile(path);
    else if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Db(await connect(path, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE), path);
    await db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;');
    await db.migrate();
    return db;
  }

  /** Opens an existing store for reading only: never creates a file or folder, never migrates,
   *  never changes the journal mode, and leaves the store's file and its -wal and -shm files
   *  byte for byte as they were, while a writer holds the store open too; every write through
   *  it fails. A store of an older schema is read as it is (columns added since read as null). */
  static async openReadOnly(path: string = DEFAULT_DB): Promise<Db> {
    if (path !== ':memory:' && !existsSync(path)) throw new UserError(`no store at ${path}`);
    checkFile(path);
    const source = path === ':memory:' ? null : new ReadOnlySource(path, (uri, rw) => connect(uri, (rw ? sqlite3.OPEN_READWRITE : sqlite3.OPEN_READONLY) | sqlite3.OPEN_URI, path));
    const db = new Db(source ? await source.open() : await connect(path, sqlite3.OPEN_READONLY), path, source);
    try {
      const version = (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
      if (version > MIGRATIONS.length) {
        throw new UserError(`--db ${path}: written by a newer irnn (schema version ${version}; this one knows ${MIGRATIONS.length})`);
      }
      if (!(await db.hasTable('runs'))) throw new UserError(`--db ${path}: a SQLite file but not an irnn store (no runs table)`);
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
    return db;
  }

  /** A value that changes whenever the data may have (PRAGMA data_version, and which handle
   *  reads it: a read-only store renews its handle when the store changed under it). */
  async dataVersion(): Promise<string> {
    const v = (await this.get<{ data_version: number }>('PRAGMA data_version'))?.data_version ?? 0;
    return `${this.source?.generation ?? 0}:${v}`;
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
    if (this.source) this.db = await this.source.current(this.db);
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

  /** Whether the store has this table (a store of an older schema, read as it is, may not). */
  async hasTable(name: string): Promise<boolean> {
    return (await this.get<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?", [name]))!.n > 0;
  }

  async close(): Promise<void> {
    await new Promise<void>((res, rej) => this.db.close((e) => (e ? rej(e) : res())));
    await this.source?.close();
  }
}

/** Refuses a folder, or a non-empty file that is not a SQLite database (leaving it untouched). */
function checkFile(path: string): void {
  if (path === ':memory:') return;
  if (statSync(path).isDirectory()) throw new UserError(`--db ${path}: is a directory, not a SQLite file`);
  if (statSync(path).size > 0 && !hasSqliteHeader(path)) throw new UserError(`--db ${path}: not a SQLite database (left untouched)`);
}

function connect(path: string, mode: number, label = path): Promise<sqlite3.Database> {
  return new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(path, mode, (err) => (err ? reject(new UserError(`--db ${label}: ${err.message}`)) : resolve(d)));
  }).then((d) => {
    d.configure('busyTimeout', 15000);
    return d;
  });
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
