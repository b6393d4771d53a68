// The single writer of a distributed sweep: merges job shards (shard.ts) into the central store,
// one transaction per shard. A shard's runs get new ids and keep their origin
// ('<shard id>:<run id>'), so merging a shard twice adds nothing; a job already finished by another
// attempt keeps its run; a job's status and error come from the shard.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../store/db.js';
import type { JobStatus } from '../store/sweeps.js';
import { UserError } from '../util/errors.js';
import type { ShardSpec } from './shard.js';

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

export async function mergeShard(db: Db, path: string, o: { sweepId: number; token: string }): Promise<Merged> {
  if (!existsSync(path)) throw new UserError(`shard ${path}: no such file`);
  await db.run("ATTACH DATABASE ? AS shard", [path]);
  try {
    const head = await db.get<{ spec_json: string }>('SELECT spec_json FROM shard.sweeps ORDER BY id LIMIT 1');
    const spec = head && (JSON.parse(head.spec_json) as { shard?: ShardSpec }).shard;
    if (!spec) throw new UserError(`shard ${path}: not a sweep job's shard`);
    if (spec.token !== o.token || spec.sweep !== o.sweepId) throw new UserError(`shard ${path}: belongs to another sweep (sweep ${spec.sweep})`);
    const job = (await db.get<ShardJobRow>('SELECT status, run_id, error, started_at, ended_at FROM shard.sweep_jobs WHERE idx = ?', [spec.idx]))!;
    const seconds = job.started_at && job.ended_at ? (Date.parse(job.ended_at) - Date.parse(job.started_at)) / 1000 : 0;
    return await db.transaction(async () => {
      const central = await db.get<{ status: string; run_id: number | null }>('SELECT status, run_id FROM sweep_jobs WHERE sweep_id = ? AND idx = ?', [o.sweepId, spec.idx]);
      if (!central) throw new UserError(`shard ${path}: sweep ${o.sweepId} has no job ${spec.idx}`);
      const prior = await db.get<{ id: number }>('SELECT id FROM runs WHERE origin LIKE ? ORDER BY id LIMIT 1', [`${spec.origin}:%`]);
      const same = { idx: spec.idx, status: job.status, error: job.error, seconds, added: false };
      if (prior) return { ...same, runId: prior.id };
      if (job.run_id === null && central.status === job.status) return { ...same, runId: central.run_id };
      if (DONE.has(central.status)) return { ...same, status: central.status as Merged['status'], runId: central.run_id };
      let runId: number | null = null;
      if (job.run_id !== null) {
        const cols = (await db.all<{ name: string }>('PRAGMA main.table_info(runs)')).map((c) => c.name).filter((c) => c !== 'id');
        const list = cols.join(', ');
        runId = (await db.run(`INSERT INTO main.runs (${list}) SELECT ${list} FROM shard.runs WHERE id = ?`, [job.run_id])).lastID;
        await db.run('INSERT INTO main.metrics (run_id, step, name, value, wall_time) SELECT ?, step, name, value, wall_time FROM shard.metrics WHERE run_id = ?', [runId, job.run_id]);
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

/** The shard files in a folder (never the temporary names of shards still being written). */
export function shardFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^job-\d+-.+\.sqlite$/.test(f)).sort().map((f) => join(dir, f));
}

/** Merges every shard of a folder; returns what each added (in file order). */
export async function mergeFolder(db: Db, dir: string, o: { sweepId: number; token: string }): Promise<Merged[]> {
  const out: Merged[] = [];
  for (const f of shardFiles(dir)) out.push(await mergeShard(db, f, o));
  return out;
}
