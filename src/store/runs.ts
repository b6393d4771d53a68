// Runs and metrics in the store: create a run, log metrics, finish it, read runs back as plain
// objects (config and JSON columns parsed, `metrics` = the last logged value of each metric).
import type { Db } from './db.js';

export type RunStatus = 'running' | 'finished' | 'failed' | 'diverged' | 'interrupted';

export interface NewRun {
  task: string;
  model: string;
  seed: number;
  config: unknown;
  configHash: string;
  overrides: string[];
  steps: number;
  git: { commit: string | null; dirty: boolean | null };
  versions: Record<string, string>;
  host: string;
  pid: number;
}

export interface RunRecord {
  id: number;
  status: RunStatus;
  task: string;
  model: string;
  seed: number;
  config: Record<string, unknown>;
  configHash: string;
  overrides: string[];
  taskInfo: Record<string, unknown> | null;
  details: Record<string, unknown> | null;
  params: number | null;
  step: number;
  steps: number;
  divergedStep: number | null;
  git: { commit: string | null; dirty: boolean | null };
  versions: Record<string, string>;
  backend: string | null;
  engine: string | null;
  /** The implementation behind the fused engine: 'native' or 'typescript' (null: unrolled engine,
   *  or recorded before kernels were). */
  kernel: string | null;
  /** Floats per SIMD register of the native kernels (16 = AVX-512, 8 = AVX2); null otherwise. */
  simdWidth: number | null;
  host: string | null;
  startedAt: string;
  endedAt: string | null;
  heartbeatAt: string | null;
  error: string | null;
  /** The last logged value of each metric. */
  metrics: Record<string, number | null>;
}

interface RunRow {
  id: number;
  status: RunStatus;
  task: string;
  model: string;
  seed: number;
  config_json: string;
  config_hash: string;
  overrides_json: string;
  task_info_json: string | null;
  details_json: string | null;
  params: number | null;
  step: number;
  steps: number;
  diverged_step: number | null;
  git_commit: string | null;
  git_dirty: number | null;
  versions_json: string | null;
  backend: string | null;
  engine: string | null;
  kernel?: string | null; // absent in stores from before migration 3, read as they are
  simd_width?: number | null;
  host: string | null;
  started_at: string;
  ended_at: string | null;
  heartbeat_at: string | null;
  error: string | null;
}

const now = () => new Date().toISOString();
const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

export async function createRun(db: Db, r: NewRun): Promise<number> {
  const res = await db.run(
    `INSERT INTO runs (status, task, model, seed, config_json, config_hash, overrides_json, steps,
       git_commit, git_dirty, versions_json, host, pid, started_at, heartbeat_at)
     VALUES ('running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [r.task, r.model, r.seed, JSON.stringify(r.config), r.configHash, JSON.stringify(r.overrides), r.steps,
      r.git.commit, r.git.dirty === null ? null : r.git.dirty ? 1 : 0, JSON.stringify(r.versions), r.host, r.pid, now(), now()],
  );
  return res.lastID;
}

/** Facts known once the run is built: backend, engine and the kernel behind it, task info,
 *  parameter count. */
export async function describeRun(
  db: Db,
  id: number,
  d: { backend: string; engine: string; kernel?: { impl: string; simdWidth: number | null } | null; taskInfo: Record<string, unknown>; params: number },
): Promise<void> {
  await db.run('UPDATE runs SET backend = ?, engine = ?, kernel = ?, simd_width = ?, task_info_json = ?, params = ?, heartbeat_at = ? WHERE id = ?', [
    d.backend, d.engine, d.kernel?.impl ?? null, d.kernel?.simdWidth ?? null, JSON.stringify(d.taskInfo), d.params, now(), id,
  ]);
}

/** Records metrics at a step (idempotent: logging the same step again replaces the values). */
export async function logMetrics(db: Db, runId: number, step: number, metrics: Record<string, number>): Promise<void> {
  const wall = Date.now() / 1000;
  await db.transaction(async () => {
    for (const [name, value] of Object.entries(metrics)) {
      await db.run('INSERT OR REPLACE INTO metrics (run_id, step, name, value, wall_time) VALUES (?, ?, ?, ?, ?)', [
        runId, step, name, Number.isFinite(value) ? value : null, wall,
      ]);
    }
    await db.run('UPDATE runs SET step = MAX(step, ?), heartbeat_at = ? WHERE id = ?', [step, now(), runId]);
  });
}

export async function heartbeat(db: Db, runId: number, step: number): Promise<void> {
  await db.run('UPDATE runs SET step = MAX(step, ?), heartbeat_at = ? WHERE id = ?', [step, now(), runId]);
}

export async function finishRun(
  db: Db,
  id: number,
  f: { status: Exclude<RunStatus, 'running'>; step: number; divergedStep?: number | null; error?: string | null; details?: unknown },
): Promise<void> {
  await db.run(
    `UPDATE runs SET status = ?, step = ?, diverged_step = ?, error = ?, details_json = COALESCE(?, details_json),
       ended_at = ?, heartbeat_at = ? WHERE id = ?`,
    [f.status, f.step, f.divergedStep ?? null, f.error ?? null, json(f.details), now(), now(), id],
  );
}

function toRecord(r: RunRow, metrics: Record<string, number | null>): RunRecord {
  return {
    id: r.id,
    status: r.status,
    task: r.task,
    model: r.model,
    seed: r.seed,
    config: JSON.parse(r.config_json),
    configHash: r.config_hash,
    overrides: JSON.parse(r.overrides_json),
    taskInfo: r.task_info_json ? JSON.parse(r.task_info_json) : null,
    details: r.details_json ? JSON.parse(r.details_json) : null,
    params: r.params,
    step: r.step,
    steps: r.steps,
    divergedStep: r.diverged_step,
    git: { commit: r.git_commit, dirty: r.git_dirty === null ? null : r.git_dirty === 1 },
    versions: r.versions_json ? JSON.parse(r.versions_json) : {},
    backend: r.backend,
    engine: r.engine,
    kernel: r.kernel ?? null,
    simdWidth: r.simd_width ?? null,
    host: r.host,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    heartbeatAt: r.heartbeat_at,
    error: r.error,
    metrics,
  };
}

async function finalMetrics(db: Db, ids: number[]): Promise<Map<number, Record<string, number | null>>> {
  const out = new Map<number, Record<string, number | null>>(ids.map((id) => [id, {}]));
  if (ids.length === 0) return out;
  const rows = await db.all<{ run_id: number; name: string; value: number | null }>(
    `SELECT m.run_id, m.name, m.value FROM metrics m
       JOIN (SELECT run_id, name, MAX(step) AS step FROM metrics WHERE run_id IN (${ids.map(() => '?').join(',')})
             GROUP BY run_id, name) last
       ON m.run_id = last.run_id AND m.name = last.name AND m.step = last.step`,
    ids,
  );
  for (const r of rows) out.get(r.run_id)![r.name] = r.value;
  return out;
}

export interface RunFilter {
  task?: string;
  model?: string;
  status?: RunStatus;
  ids?: number[];
}

export async function listRuns(db: Db, f: RunFilter = {}): Promise<RunRecord[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (f.task) (where.push('task = ?'), params.push(f.task));
  if (f.model) (where.push('model = ?'), params.push(f.model));
  if (f.status) (where.push('status = ?'), params.push(f.status));
  if (f.ids) (where.push(`id IN (${f.ids.map(() => '?').join(',') || 'NULL'})`), params.push(...f.ids));
  const rows = await db.all<RunRow>(`SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`, params);
  const metrics = await finalMetrics(db, rows.map((r) => r.id));
  return rows.map((r) => toRecord(r, metrics.get(r.id) ?? {}));
}

export async function getRun(db: Db, id: number): Promise<RunRecord | undefined> {
  return (await listRuns(db, { ids: [id] }))[0];
}

/** Every logged metric of a run, in step order. */
export async function metricHistory(db: Db, runId: number): Promise<Array<{ step: number; name: string; value: number | null; wallTime: number }>> {
  return db.all('SELECT step, name, value, wall_time AS wallTime FROM metrics WHERE run_id = ? ORDER BY step, name', [runId]);
}

/** Which finished runs count as done for a sweep: any (no rule), or only those that ran at
 *  `commit` from a clean checkout (`commit` null: none, as when the current checkout is dirty). */
export interface SameCode {
  commit: string | null;
}

export interface FinishedRun {
  id: number;
  git: { commit: string | null; dirty: boolean | null };
}

/** A finished run with this config hash, if one exists (what a sweep skips); one that ran at
 *  `prefer.commit` from a clean checkout comes first. With `only`, no other run counts. */
export async function findFinishedRun(db: Db, configHash: string, o: { only?: SameCode; prefer?: SameCode } = {}): Promise<FinishedRun | undefined> {
  const code = o.only ?? o.prefer;
  const same = 'git_commit IS NOT NULL AND git_commit = ? AND git_dirty = 0';
  const r = await db.get<{ id: number; git_commit: string | null; git_dirty: number | null }>(
    `SELECT id, git_commit, git_dirty FROM runs WHERE config_hash = ? AND status = 'finished' ${o.only ? `AND ${same}` : ''}
     ORDER BY ${code ? `(${same}) DESC, ` : ''}id LIMIT 1`,
    [configHash, ...(o.only ? [code!.commit] : []), ...(code ? [code.commit] : [])],
  );
  return r && { id: r.id, git: { commit: r.git_commit, dirty: r.git_dirty === null ? null : r.git_dirty === 1 } };
}

export async function findFinished(db: Db, configHash: string, only?: SameCode): Promise<number | undefined> {
  return (await findFinishedRun(db, configHash, { only }))?.id;
}

/** Whether a run's recorded code is `code`: the same commit, both checkouts clean. */
export function isSameCode(git: { commit: string | null; dirty: boolean | null }, code: SameCode): boolean {
  return code.commit !== null && git.commit === code.commit && git.dirty === false;
}

/** The metric a run is ranked by: the task's own, stored with the run once the task was built
 *  (a run that failed before that has none). */
export function mainMetric(r: RunRecord): [string, number | null] | null {
  const name = (r.taskInfo?.['main_metric'] as { name?: string } | undefined)?.name;
  return name && name in r.metrics ? [name, r.metrics[name] ?? null] : null;
}
