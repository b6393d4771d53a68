// Reading a store without changing a byte of it or of its -wal and -shm files. SQLite's plain
// read-only open of a WAL store creates the -wal and -shm files when they are missing and writes
// its read marks into the -shm; a read-write handle folds the WAL into the file when it closes.
// What to open depends on what is there when the handle opens:
// - no -wal file: nothing has the store open for writing and the file holds all of it: the file
//   is opened `immutable=1` (no locks, no side files); the handle is renewed once the file changes
//   or a -wal file appears (a writer started), so a long-lived reader (irnn ui) sees new data;
// - a -wal and a -shm file (a writer may be live): `readonly_shm=1` maps the -shm read-only, so
//   SQLite reads the WAL index without writing read marks (with no live writer it reads the -wal
//   into memory of its own instead);
// - a -wal file without a -shm (left by a crash): a copy of the two in a temporary folder is read.
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type sqlite3 from 'sqlite3';

type Kind = 'immutable' | 'shared' | 'copy';

/** An SQLite URI of a file path (?, # and % escaped). */
const uri = (path: string, query: string) => `file:${path.replace(/[?#%]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?${query}`;
const stamp = (path: string) => (existsSync(path) ? `${statSync(path).size}@${statSync(path).mtimeMs}` : '-');

export class ReadOnlySource {
  /** How many handles were opened so far (a new handle restarts SQLite's data_version). */
  generation = 0;
  private kind: Kind = 'immutable';
  private seen = '';
  private copyDir: string | null = null;
  private renewing: Promise<sqlite3.Database> | null = null;

  constructor(
    private readonly path: string,
    /** Opens an SQLite URI, read-only unless `writable` (only a private copy is). */
    private readonly connect: (uri: string, writable: boolean) => Promise<sqlite3.Database>,
  ) {}

  private kindNow(): Kind {
    if (!existsSync(`${this.path}-wal`)) return 'immutable';
    return existsSync(`${this.path}-shm`) ? 'shared' : 'copy';
  }

  /** What the handle of each kind cannot see change by itself (a shared handle sees everything). */
  private signature(kind: Kind): string {
    const main = stamp(this.path);
    if (kind === 'immutable') return `${kind} ${main} ${existsSync(`${this.path}-wal`)}`;
    if (kind === 'copy') return `${kind} ${main} ${stamp(`${this.path}-wal`)} ${existsSync(`${this.path}-shm`)}`;
    return kind;
  }

  /** Opens a handle of the kind the store's files call for. */
  async open(): Promise<sqlite3.Database> {
    const kind = this.kindNow();
    this.kind = kind;
    this.seen = this.signature(kind);
    this.generation++;
    this.dropCopy();
    if (kind === 'immutable') return this.connect(uri(this.path, 'immutable=1'), false);
    if (kind === 'shared') return this.connect(uri(this.path, 'readonly_shm=1'), false);
    this.copyDir = mkdtempSync(join(tmpdir(), 'irnn-read-'));
    const copy = join(this.copyDir, basename(this.path));
    copyFileSync(`${this.path}-wal`, `${copy}-wal`); // the WAL first: frames a checkpoint moves into the file meanwhile are in both
    copyFileSync(this.path, copy);
    // read-write, so that SQLite can build the copy's WAL index; writes stay refused
    const db = await this.connect(uri(copy, 'mode=rw'), true);
    await new Promise<void>((res, rej) => db.exec('PRAGMA query_only = ON', (e) => (e ? rej(e) : res())));
    return db;
  }

  /** The handle to read with: `db`, or a new one when the store changed in a way `db` cannot see
   *  (the old one is closed once its pending queries are done). */
  async current(db: sqlite3.Database): Promise<sqlite3.Database> {
    if (this.renewing) return this.renewing;
    if (this.kind === 'shared' || this.signature(this.kind) === this.seen) return db;
    this.renewing = this.open().then((fresh) => {
      db.close(() => undefined);
      return fresh;
    });
    try {
      return await this.renewing;
    } finally {
      this.renewing = null;
    }
  }

  private dropCopy(): void {
    if (this.copyDir) rmSync(this.copyDir, { recursive: true, force: true });
    this.copyDir = null;
  }

  async close(): Promise<void> {
    this.dropCopy();
  }
}
