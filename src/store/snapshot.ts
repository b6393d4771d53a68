// A consistent copy of a live store, for committing beside the repository: SQLite's VACUUM INTO
// reads one snapshot of the database (a writer may go on meanwhile, its WAL included) into a new,
// compact file in rollback-journal mode, with the store's identity and every run, metric and sweep.
// The source is opened read-only and never migrated (the store may belong to a campaign pinned to
// an older commit). The copy is written next to its destination and renamed over it, so a reader
// never sees half a file.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import sqlite3 from 'sqlite3';
import { UserError } from '../util/errors.js';

export async function snapshotStore(source: string, dest: string): Promise<void> {
  if (resolve(dest) === resolve(source)) throw new UserError('a snapshot cannot replace the store it copies');
  if (!existsSync(source)) throw new UserError(`no store at ${source}`);
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  const db = await new Promise<sqlite3.Database>((res, rej) => {
    const d = new sqlite3.Database(source, sqlite3.OPEN_READONLY, (e) => (e ? rej(new UserError(`--db ${source}: ${e.message}`)) : res(d)));
  });
  try {
    db.configure('busyTimeout', 15000);
    await new Promise<void>((res, rej) => db.run('VACUUM INTO ?', [tmp], (e) => (e ? rej(e) : res())));
    renameSync(tmp, dest);
  } finally {
    await new Promise((r) => db.close(r));
    if (existsSync(tmp)) rmSync(tmp, { force: true });
  }
}
