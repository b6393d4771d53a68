// Sweeps and their jobs in the store: create a sweep with its planned jobs, move jobs through
// queued -> running -> finished|failed|diverged|interrupted, and read sweeps back as plain objects.
// A job links to its run (run_id); the run rows themselves are written by train() (runs.ts).
import type { Db } from './db.js';

export type SweepStatus = 'running' | 'finished' | 'failed' | 'interrupted';
export type JobStatus = 'queued' | 'running' | 'finished' | 'failed' | 'diverged' | 'interrupted' | 'pruned';
const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'finished', 'failed', 'diverged', 'interrupted', 'pruned'];

export interface JobRecord {
  sweepId: number;
  idx: number;
  overrides: string[];
  configHash: string;
  status: JobStatus;
  runId: number | null;
  error: string | null;
  startedAt: string | null;
  endedAt: string | null;
  heartbeatAt: string | null;
  workerPid: number | null;
  /** Finished without running: its config already had a finished run (the one run_id names). */
  skipped: boolean;
}

export interface SweepInfo {
  id: number;
  spec: Record<string, unknown>;
  command: string;
  status: SweepStatus;
  createdAt: string;
  endedAt: string | null;
  /** Jobs per status. */
  counts: Record<JobStatus, number>;
  total: number;
}

export interface SweepRecord extends SweepInfo {
  jobs: JobRecord[];
}

interface JobRow {
  sweep_id: number;
  idx: number;
  overrides_json: string;
  config_hash: string;
  status: JobStatus;
  run_id: number | null;
  error: string | null;
  started_at: string | null;
  ended_at: string | null;
  heartbeat_at: string | null;
  worker_pid: number | null;
}

interface SweepRow {
  id: number;
  spec_json: string;
  command: string;
  status: SweepStatus;
  created_at: string;
  ended_at: string | null;
}

const now = () => new Date().toISOString();

export async function createSweep(
  db: Db,
  s: { spec: Record<string, unknown>; command: string; jobs: Array<{ idx: number; overrides: string[]; configHash: string }> },
): Promise<number> {
  return db.transaction(async () => {
    const { lastID } = await db.run("INSERT INTO sweeps (spec_json, command, status, created_at) VALUES (?, ?, 'running', ?)", [
      JSON.stringify(s.spec), s.command, now(),
    ]);
    for (const j of s.jobs) {
      await db.run("INSERT INTO sweep_jobs (sweep_id, idx, overrides_json, config_hash, status) VALUES (?, ?, ?, ?, 'queued')", [
        lastID, j.idx, JSON.stringify(j.overrides), j.configHash,
      ]);
    }
    return lastID;
  });
}

/** Adds keys to a sweep's spec (a remote sweep's folder, known once the sweep has its id). */
export async function extendSweepSpec(db: Db, id: number, more: Record<string, unknown>): Promise<void> {
  const row = await db.get<{ spec_json: string }>('SELECT spec_json FROM sweeps WHERE id = ?', [id]);
  if (row) await db.run('UPDATE sweeps SET spec_json = ? WHERE id = ?', [JSON.stringify({ ...JSON.parse(row.spec_json), ...more }), id]);
}

export async function setSweepStatus(db: Db, id: number, status: SweepStatus): Promise<void> {
  await db.run('UPDATE sweeps SET status = ?, ended_at = ? WHERE id = ?', [status, status === 'running' ? null : now(), id]);
}

/** Takes a queued job for this worker; false if another process took it first. */
export async function claimJob(db: Db, sweepId: number, idx: number, pid: number): Promise<boolean> {
  const t = now();
  const r = await db.run(
    `UPDATE sweep_jobs SET status = 'running', worker_pid = ?, started_at = ?, heartbeat_at = ?, ended_at = NULL, error = NULL
     WHERE sweep_id = ? AND idx = ? AND status = 'queued'`,
    [pid, t, t, sweepId, idx],
  );
  return r.changes === 1;
}

export async function linkJobRun(db: Db, sweepId: number, idx: number, runId: number): Promise<void> {
  await db.run('UPDATE sweep_jobs SET run_id = ?, heartbeat_at = ? WHERE sweep_id = ? AND idx = ?', [runId, now(), sweepId, idx]);
}

export async function jobHeartbeat(db: Db, sweepId: number, idx: number): Promise<void> {
  await db.run("UPDATE sweep_jobs SET heartbeat_at = ? WHERE sweep_id = ? AND idx = ? AND status = 'running'", [now(), sweepId, idx]);
}

/** A job's final state. A `runId` given here replaces the linked run. */
export async function endJob(
  db: Db,
  sweepId: number,
  idx: number,
  e: { status: Exclude<JobStatus, 'queued' | 'running'>; runId?: number | null; error?: string | null },
): Promise<void> {
  await db.run(
    'UPDATE sweep_jobs SET status = ?, run_id = COALESCE(?, run_id), error = ?, ended_at = ?, heartbeat_at = ? WHERE sweep_id = ? AND idx = ?',
    [e.status, e.runId ?? null, e.error ?? null, now(), now(), sweepId, idx],
  );
}

/** Finished without running, linked to the earlier finished run with the same config. */
export async function skipJob(db: Db, sweepId: number, idx: number, runId: number): Promise<void> {
  await db.run(
    "UPDATE sweep_jobs SET status = 'finished', run_id = ?, error = NULL, started_at = NULL, ended_at = ?, worker_pid = NULL WHERE sweep_id = ? AND idx = ?",
    [runId, now(), sweepId, idx],
  );
}

/** Puts a job back in the queue (resume), with the config hash the current code gives it. */
export async function requeueJob(db: Db, sweepId: number, idx: number, configHash: string): Promise<void> {
  await db.run("UPDATE sweep_jobs SET status = 'queued', config_hash = ?, worker_pid = NULL WHERE sweep_id = ? AND idx = ?", [
    configHash, sweepId, idx,
  ]);
}

/** Marks a run that lost its process as interrupted; its metric rows stay as they were. */
export async function runStatus(db: Db, runId: number): Promise<string | undefined> {
  return (await db.get<{ status: string }>('SELECT status FROM runs WHERE id = ?', [runId]))?.status;
}

const toJob = (r: JobRow): JobRecord => ({
  sweepId: r.sweep_id,
  idx: r.idx,
  overrides: JSON.parse(r.overrides_json),
  configHash: r.config_hash,
  status: r.status,
  runId: r.run_id,
  error: r.error,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  heartbeatAt: r.heartbeat_at,
  workerPid: r.worker_pid,
  skipped: r.status === 'finished' && r.started_at === null,
});

function toInfo(r: SweepRow, counts: Array<{ status: JobStatus; n: number }>): SweepInfo {
  const byStatus = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  for (const c of counts) byStatus[c.status] = c.n;
  return {
    id: r.id,
    spec: JSON.parse(r.spec_json),
    command: r.command,
    status: r.status,
    createdAt: r.created_at,
    endedAt: r.ended_at,
    counts: byStatus,
    total: counts.reduce((a, c) => a + c.n, 0),
  };
}

export async function listSweeps(db: Db): Promise<SweepInfo[]> {
  if (!(await db.hasTable('sweep_jobs'))) return []; // a store from before sweeps, read as it is
  const rows = await db.all<SweepRow>('SELECT * FROM sweeps ORDER BY id');
  const counts = await db.all<{ sweep_id: number; status: JobStatus; n: number }>(
    'SELECT sweep_id, status, COUNT(*) AS n FROM sweep_jobs GROUP BY sweep_id, status',
  );
  return rows.map((r) => toInfo(r, counts.filter((c) => c.sweep_id === r.id)));
}

export async function getJob(db: Db, sweepId: number, idx: number): Promise<JobRecord | undefined> {
  const row = await db.get<JobRow>('SELECT * FROM sweep_jobs WHERE sweep_id = ? AND idx = ?', [sweepId, idx]);
  return row && toJob(row);
}

export async function getSweep(db: Db, id: number): Promise<SweepRecord | undefined> {
  if (!(await db.hasTable('sweep_jobs'))) return undefined;
  const row = await db.get<SweepRow>('SELECT * FROM sweeps WHERE id = ?', [id]);
  if (!row) return undefined;
  const jobs = (await db.all<JobRow>('SELECT * FROM sweep_jobs WHERE sweep_id = ? ORDER BY idx', [id])).map(toJob);
  const counts = JOB_STATUSES.map((status) => ({ status, n: jobs.filter((j) => j.status === status).length }));
  return { ...toInfo(row, counts), jobs };
}

/** A sweep's jobs still queued or running: what a remote engine still holds. */
export async function pendingJobs(db: Db, sweepId: number): Promise<JobRecord[]> {
  return (await getSweep(db, sweepId))?.jobs.filter((j) => j.status === 'queued' || j.status === 'running') ?? [];
}
