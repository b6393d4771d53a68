// Merging a sweep job's shard (a store of its own that one remote job trained into: launch/shard.ts)
// into this store, one transaction per shard. The shard's run gets a new id here and keeps its
// origin ('<shard id>:<run id>'), so merging a shard twice adds nothing; every table of per-run rows
// (each table whose run_id references runs, read from the schema: metrics, diagnostics, and any
// table a later migration adds) comes with it; the job takes the shard's status and error, unless
// another attempt already finished it. The shard file is checked before it is attached.
import { existsSync } from 'node:fs';
import type { Db } from './db.js';
import type { JobStatus } from './sweeps.js';
import { UserError } from '../util/errors.js';

/** What a shard's one-job sweep says about where it belongs (sweeps.spec_json of the shard). */
export interface ShardSpec {
  token: string;
  sweep: number;
  idx: number;
  /** Unique per attempt: the merge key of the shard's runs. */
  origin: string;
  version: string;
  /** The engine's count of submissions of this job (SLURM), when it keeps one. */
  attempt?: number;
  /** The origin of the run this shard's run continues from a checkpoint (a job resumed on
   *  another node): merging replaces that run, which keeps its id here. */
  continues?: string;
}

export interface Merged {
  idx: number;
  status: Exclude<JobStatus, 'queued' | 'running'>;
  runId: number | null;
  error: string | null;
  /** False when the shard (or a newer attempt of its job) was merged before: nothing changed. */
  added: boolean;
  seconds: number;
}

interface ShardJobRow {
  status: Merged['status'];
  run_id: number | null;
  error: string | null;
  started_at: string | null;
  ended_at: string | null;
}

const DONE = new Set(['finished', 'diverged']);
/** Tables with a run_id that are not a run's own rows: a sweep's jobs are merged by status. */
const NOT_RUN_ROWS = new Set(['sweep_jobs']);

/** The tables of `schema` whose rows belong to one run (a run_id referencing runs). */
async function runTables(db: Db, schema: string): Promise<string[]> {
  const tables = await db.all<{ name: string }>(`SELECT name FROM ${schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`);
  const out: string[] = [];
  for (const { name } of tables) {
    if (NOT_RUN_ROWS.has(name)) continue;
    const fks = await db.all<{ table: string; from: string }>(`SELECT "table", "from" FROM pragma_foreign_key_list(?, ?)`, [name, schema]);
    if (fks.some((f) => f.table === 'runs' && f.from === 'run_id')) out.push(name);
  }
  return out;
}

const columns = async (db: Db, schema: string, table: string) =>
  (await db.all<{ name: string }>('SELECT name FROM pragma_table_info(?, ?)', [table, schema])).map((c) => c.name);
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Copies one run of the shard (row and per-run rows) into this store: as a new run, or over the
 *  run `replace` (which keeps its id). Returns the run's id here. */
async function copyRun(db: Db, shardRunId: number, replace: number | null): Promise<number> {
  const shardCols = new Set(await columns(db, 'shard', 'runs'));
  const cols = (await columns(db, 'main', 'runs')).filter((c) => c !== 'id' && shardCols.has(c));
  const list = cols.map(quote).join(', ');
  let runId: number;
  if (replace === null) {
    runId = (await db.run(`INSERT INTO main.runs (${list}) SELECT ${list} FROM shard.runs WHERE id = ?`, [shardRunId])).lastID;
  } else {
    runId = replace;
    await db.run(`UPDATE main.runs SET (${list}) = (SELECT ${list} FROM shard.runs WHERE id = ?) WHERE id = ?`, [shardRunId, runId]);
  }
  for (const table of await runTables(db, 'main')) {
    await db.run(`DELETE FROM main.${quote(table)} WHERE run_id = ?`, [runId]);
    const have = new Set(await columns(db, 'shard', table));
    if (have.size === 0) continue; // the shard's schema has no such table
    const rest = (await columns(db, 'main', table)).filter((c) => c !== 'run_id' && have.has(c)).map(quote);
    await db.run(`INSERT INTO main.${quote(table)} (run_id, ${rest.join(', ')}) SELECT ?, ${rest.join(', ')} FROM shard.${quote(table)} WHERE run_id = ?`, [runId, shardRunId]);
  }
  return runId;
}

/** Refuses a file that is not a plain shard: only tables and indexes, nothing that runs SQL of
 *  the shard's own (views, triggers) when it is read. */
async function checkShard(db: Db, path: string): Promise<ShardSpec> {
  const odd = await db.all<{ type: string; name: string }>("SELECT type, name FROM shard.sqlite_master WHERE type NOT IN ('table', 'index')");
  if (odd.length) throw new UserError(`shard ${path}: not a shard (it holds ${odd.map((o) => `${o.type} ${o.name}`).join(', ')})`);
  for (const table of ['sweeps', 'sweep_jobs', 'runs']) {
    if ((await columns(db, 'shard', table)).length === 0) throw new UserError(`shard ${path}: not a sweep job's shard (no ${table} table)`);
  }
  const head = await db.get<{ spec_json: string }>('SELECT spec_json FROM shard.sweeps ORDER BY id LIMIT 1');
  let spec: ShardSpec | undefined;
  try {
    spec = head && (JSON.parse(head.spec_json) as { shard?: ShardSpec }).shard;
  } catch {
    spec = undefined;
  }
  if (!spec || typeof spec.origin !== 'string' || !Number.isInteger(spec.idx)) throw new UserError(`shard ${path}: not a sweep job's shard`);
  return spec;
}

/** Merges one shard of sweep `sweepId` (its token `token`); with `idx`, the shard must be that job's. */
export async function mergeShard(db: Db, path: string, o: { sweepId: number; token: string; idx?: number }): Promise<Merged> {
  if (!existsSync(path)) throw new UserError(`shard ${path}: no such file`);
  try {
    await db.run('ATTACH DATABASE ? AS shard', [path]);
  } catch (e) {
    throw new UserError(`shard ${path}: cannot be read (${((e as Error).message ?? String(e)).split('\n')[0]})`);
  }
  try {
    const spec = await checkShard(db, path);
    if (spec.token !== o.token || spec.sweep !== o.sweepId) throw new UserError(`shard ${path}: belongs to another sweep (sweep ${spec.sweep})`);
    if (o.idx !== undefined && spec.idx !== o.idx) throw new UserError(`shard ${path}: holds job ${spec.idx}, not job ${o.idx}`);
    const job = await db.get<ShardJobRow>('SELECT status, run_id, error, started_at, ended_at FROM shard.sweep_jobs WHERE idx = ?', [spec.idx]);
    if (!job) throw new UserError(`shard ${path}: has no record of job ${spec.idx}`);
    const seconds = job.started_at && job.ended_at ? (Date.parse(job.ended_at) - Date.parse(job.started_at)) / 1000 : 0;
    return await db.transaction(async () => {
      const central = await db.get<{ status: string; run_id: number | null }>('SELECT status, run_id FROM sweep_jobs WHERE sweep_id = ? AND idx = ?', [o.sweepId, spec.idx]);
      if (!central) throw new UserError(`shard ${path}: sweep ${o.sweepId} has no job ${spec.idx}`);
      const prior = await db.get<{ id: number }>("SELECT id FROM runs WHERE origin LIKE ? ESCAPE '\\' ORDER BY id LIMIT 1", [`${spec.origin.replace(/[\\%_]/g, '\\$&')}:%`]);
      const same = { idx: spec.idx, status: job.status, error: job.error, seconds, added: false };
      if (prior) return { ...same, runId: prior.id };
      if (job.run_id === null && central.status === job.status) return { ...same, runId: central.run_id };
      if (DONE.has(central.status)) return { ...same, status: central.status as Merged['status'], runId: central.run_id };
      let runId: number | null = null;
      if (job.run_id !== null) {
        // a continuation replaces the run it continues, when that run is still this job's
        const continued = spec.continues === undefined ? undefined
          : await db.get<{ id: number }>('SELECT id FROM runs WHERE origin = ? AND id = ?', [spec.continues, central.run_id ?? -1]);
        runId = await copyRun(db, job.run_id, continued?.id ?? null);
      }
      await db.run(
        'UPDATE sweep_jobs SET status = ?, run_id = COALESCE(?, run_id), error = ?, started_at = ?, ended_at = ?, heartbeat_at = ?, worker_pid = NULL WHERE sweep_id = ? AND idx = ?',
        [job.status, runId, job.error, job.started_at, job.ended_at, job.ended_at, o.sweepId, spec.idx],
      );
      return { ...same, runId, added: true };
    });
  } finally {
    await db.run('DETACH DATABASE shard');
  }
}

/** The shard's side: marks every run of a shard with the shard's origin ('<origin>:<run id>'). */
export async function stampOrigin(db: Db, origin: string): Promise<void> {
  await db.run("UPDATE runs SET origin = ? || ':' || id", [origin]);
}

/** A compact copy of the store at `dest` (VACUUM INTO: one file, no -wal), made while it is open. */
export async function compactCopy(db: Db, dest: string): Promise<void> {
  await db.run('VACUUM INTO ?', [dest]);
}

/** Where a run came from (its origin), or null. */
export async function runOrigin(db: Db, runId: number): Promise<string | null> {
  return (await db.get<{ origin: string | null }>('SELECT origin FROM runs WHERE id = ?', [runId]))?.origin ?? null;
}
