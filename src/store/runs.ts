// Runs and metrics in the store: create a run, log metrics, finish it, read runs back as plain
// objects (config and JSON columns parsed, `metrics` = the last logged value of each metric).
// One writer per run: creating or resuming a run takes its claim (a token, with pid, host and
// heartbeat) in one compare-and-set, and every write of the claiming process names the token, so
// a process that lost its claim cannot write another's run.
import { randomBytes, randomUUID } from 'node:crypto';
import { UserError } from '../util/errors.js';
import { isStale } from '../util/process.js';
import type { Db } from './db.js';

export type RunStatus = 'running' | 'finished' | 'failed' | 'diverged' | 'interrupted' | 'pruned';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'finished', 'failed', 'diverged', 'interrupted', 'pruned'];

/** One continuation of a run from a checkpoint: when, from which step, and whether the code
 *  version differed from the checkpoint's (allowed only when forced). */
export interface Resume {
  at: string;
  step: number;
  code: string;
  checkpointCode: string;
  forced: boolean;
  /** The commit (and whether the checkout was dirty) the continuation ran at; absent in
   *  resumes recorded before it was. */
  git?: { commit: string | null; dirty: boolean | null };
  host?: string;
}

/** The right to write a running run: its id, its identity (`uid`, never shared by two runs of any
 *  store) and the token of this claim. */
export interface RunClaim {
  id: number;
  uid: string;
  token: string;
}

/** A write by a process whose claim on the run was taken over (its heartbeat went stale and
 *  another process resumed the run): the process must stop without writing anything more. */
export class ClaimLost extends UserError {
  constructor(runId: number, holder: string) {
    super(`run ${runId} was taken over by ${holder}; this process stopped without writing to it`);
  }
}

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
  /** The process that trains (or last trained) the run. */
  pid: number | null;
  /** The run's identity, unique across stores (null only in stores read before migration 7). */
  uid: string | null;
  /** Why a finished run stopped before its last step (target, patience, plateau); null otherwise. */
  stopReason: string | null;
  startedAt: string;
  endedAt: string | null;
  heartbeatAt: string | null;
  error: string | null;
  /** The newest checkpoint written (null: none, or removed once the run finished). */
  checkpoint: { path: string; step: number } | null;
  /** Set when a sweep scheduler stopped the run: the rung (step) and why. */
  prune: { rung: number; reason: string } | null;
  resumes: Resume[];
  /** The last logged value of each metric. */
  metrics: Record<string, number | null>;
  /** The run's result: its evaluation with the best validation metric (null: none logged). */
  result: RunResult | null;
}

/** A run judged as a reader should: the evaluation step with the best value of the validation
 *  metric (`select`; ties go to the earliest step), and the test metric (`main`) at that step. */
export interface RunResult {
  step: number;
  select: { name: string; value: number };
  main: { name: string; value: number | null };
  goal: 'min' | 'max';
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
  pid: number | null;
  started_at: string;
  ended_at: string | null;
  heartbeat_at: string | null;
  error: string | null;
  checkpoint_path?: string | null; // absent in stores from before migration 3
  checkpoint_step?: number | null;
  prune_rung?: number | null;
  prune_reason?: string | null;
  resumes_json?: string | null;
  uid?: string | null; // absent in stores from before migration 7
  claim?: string | null;
  stop_reason?: string | null;
}

const now = () => new Date().toISOString();
const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

const newToken = () => randomBytes(12).toString('hex');

/** The store's identity, made when it was created (or first migrated to schema 7); null for a
 *  store read as it is from before then. */
export async function storeId(db: Db): Promise<string | null> {
  if (!(await db.hasTable('store_meta'))) return null;
  return (await db.get<{ value: string }>("SELECT value FROM store_meta WHERE key = 'store_id'"))?.value ?? null;
}

/** Inserts a run, claimed by the creating process. `link` runs in the same transaction with the
 *  new id (a sweep job links its run there), so a process killed in between leaves neither a run
 *  nor a link behind. */
export async function startRun(db: Db, r: NewRun, link?: (runId: number) => Promise<void>): Promise<RunClaim> {
  const uid = randomUUID();
  const token = newToken();
  return db.transaction(async () => {
    const res = await db.run(
      `INSERT INTO runs (status, task, model, seed, config_json, config_hash, overrides_json, steps,
         git_commit, git_dirty, versions_json, host, pid, started_at, heartbeat_at, uid, claim)
       VALUES ('running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.task, r.model, r.seed, JSON.stringify(r.config), r.configHash, JSON.stringify(r.overrides), r.steps,
        r.git.commit, r.git.dirty === null ? null : r.git.dirty ? 1 : 0, JSON.stringify(r.versions), r.host, r.pid, now(), now(), uid, token],
    );
    await link?.(res.lastID);
    return { id: res.lastID, uid, token };
  });
}

/** `startRun` for callers that only need the id. */
export async function createRun(db: Db, r: NewRun, link?: (runId: number) => Promise<void>): Promise<number> {
  return (await startRun(db, r, link)).id;
}

interface ClaimRow {
  status: RunStatus;
  pid: number | null;
  host: string | null;
  heartbeat_at: string | null;
  uid: string | null;
  resumes_json: string | null;
}

const holderOf = (r: { pid: number | null; host: string | null; heartbeat_at: string | null }) =>
  `pid ${r.pid ?? '?'} on ${r.host ?? '?'} (heartbeat ${r.heartbeat_at ?? 'never'})`;

/** Whether a `running` row is held by a live process: on this host its pid lives, elsewhere its
 *  heartbeat is recent. */
function liveHolder(r: ClaimRow, staleMs?: number): boolean {
  return r.status === 'running' && !isStale({ pid: r.pid, host: r.host, beat: r.heartbeat_at, staleMs });
}

/** Takes a run up again from a checkpoint at `step`, in one compare-and-set: a run that a live
 *  process holds is refused (UserError naming the holder); otherwise the run is running in this
 *  process under a new claim, metric rows logged after the checkpoint are removed (the
 *  continuation logs them again), and the resume is recorded. */
export async function resumeRun(db: Db, id: number, o: { step: number; pid: number; host: string; resume: Resume; staleMs?: number }): Promise<RunClaim> {
  const token = newToken();
  return db.transaction(async () => {
    const row = await db.get<ClaimRow>('SELECT status, pid, host, heartbeat_at, uid, resumes_json FROM runs WHERE id = ?', [id]);
    if (!row) throw new UserError(`run ${id}: no such run in ${db.path}`);
    if (liveHolder(row, o.staleMs)) throw new UserError(`run ${id} is being trained by ${holderOf(row)}`);
    const resumes = [...(row.resumes_json ? (JSON.parse(row.resumes_json) as Resume[]) : []), o.resume];
    await db.run('DELETE FROM metrics WHERE run_id = ? AND step > ?', [id, o.step]);
    await db.run('DELETE FROM diagnostics WHERE run_id = ? AND step > ?', [id, o.step]);
    const uid = row.uid ?? randomUUID();
    await db.run(
      `UPDATE runs SET status = 'running', step = ?, pid = ?, host = ?, ended_at = NULL, error = NULL, diverged_step = NULL,
         prune_rung = NULL, prune_reason = NULL, stop_reason = NULL, resumes_json = ?, heartbeat_at = ?, uid = ?, claim = ? WHERE id = ?`,
      [o.step, o.pid, o.host, JSON.stringify(resumes), now(), uid, token, id],
    );
    return { id, uid, token };
  });
}

/** Marks a `running` run interrupted when no live process holds it (its process is gone, or its
 *  heartbeat is older than `staleMs`): one compare-and-set. Returns null when done (or the run
 *  was not running), or the live holder, which is left alone. */
export async function releaseStaleRun(db: Db, id: number, reason: string, o: { staleMs?: number } = {}): Promise<string | null> {
  return db.transaction(async () => {
    const row = await db.get<ClaimRow>('SELECT status, pid, host, heartbeat_at, uid, resumes_json FROM runs WHERE id = ?', [id]);
    if (!row || row.status !== 'running') return null;
    if (liveHolder(row, o.staleMs)) return holderOf(row);
    await db.run("UPDATE runs SET status = 'interrupted', error = COALESCE(error, ?), ended_at = ?, claim = NULL WHERE id = ? AND status = 'running'", [
      reason, now(), id,
    ]);
    return null;
  });
}

/** Refuses a write by a process whose claim was taken over. Runs inside the caller's transaction
 *  (or alone); refreshes the heartbeat as it checks. */
async function holdClaim(db: Db, id: number, token: string | undefined, set = '', params: Array<string | number | null> = []): Promise<void> {
  if (token === undefined) {
    if (set) await db.run(`UPDATE runs SET ${set}, heartbeat_at = ? WHERE id = ?`, [...params, now(), id]);
    return;
  }
  const r = await db.run(`UPDATE runs SET ${set ? `${set}, ` : ''}heartbeat_at = ? WHERE id = ? AND claim = ?`, [...params, now(), id, token]);
  if (r.changes === 0) {
    const row = await db.get<ClaimRow>('SELECT status, pid, host, heartbeat_at FROM runs WHERE id = ?', [id]);
    throw new ClaimLost(id, row ? holderOf(row) : 'nobody (the run is gone)');
  }
}

/** Checks (and refreshes) a claim before a write outside the store, such as a checkpoint file. */
export async function checkClaim(db: Db, claim: RunClaim): Promise<void> {
  await holdClaim(db, claim.id, claim.token);
}

/** The newest checkpoint of a run (null: it has none any more). */
export async function recordCheckpoint(db: Db, id: number, c: { path: string; step: number } | null, claim?: string): Promise<void> {
  await holdClaim(db, id, claim, 'checkpoint_path = ?, checkpoint_step = ?', [c?.path ?? null, c?.step ?? null]);
}

/** Facts known once the run is built: backend, engine and the kernel behind it, task info,
 *  parameter count. */
export async function describeRun(
  db: Db,
  id: number,
  d: { backend: string; engine: string; kernel?: { impl: string; simdWidth: number | null } | null; taskInfo: Record<string, unknown>; params: number },
  claim?: string,
): Promise<void> {
  await holdClaim(db, id, claim, 'backend = ?, engine = ?, kernel = ?, simd_width = ?, task_info_json = ?, params = ?', [
    d.backend, d.engine, d.kernel?.impl ?? null, d.kernel?.simdWidth ?? null, JSON.stringify(d.taskInfo), d.params,
  ]);
}

/** Records metrics at a step (idempotent: logging the same step again replaces the values). */
export async function logMetrics(db: Db, runId: number, step: number, metrics: Record<string, number>, claim?: string): Promise<void> {
  const wall = Date.now() / 1000;
  await db.transaction(async () => {
    await holdClaim(db, runId, claim, 'step = MAX(step, ?)', [step]);
    for (const [name, value] of Object.entries(metrics)) {
      await db.run('INSERT OR REPLACE INTO metrics (run_id, step, name, value, wall_time) VALUES (?, ?, ?, ?, ?)', [
        runId, step, name, Number.isFinite(value) ? value : null, wall,
      ]);
    }
  });
}

export async function heartbeat(db: Db, runId: number, step: number, claim?: string): Promise<void> {
  await holdClaim(db, runId, claim, 'step = MAX(step, ?)', [step]);
}

export async function finishRun(
  db: Db,
  id: number,
  f: {
    status: Exclude<RunStatus, 'running'>;
    step: number;
    divergedStep?: number | null;
    error?: string | null;
    details?: unknown;
    prune?: { rung: number; reason: string };
    stopReason?: string | null;
  },
  claim?: string,
): Promise<void> {
  await holdClaim(
    db,
    id,
    claim,
    `status = ?, step = ?, diverged_step = ?, error = ?, details_json = COALESCE(?, details_json),
       prune_rung = ?, prune_reason = ?, stop_reason = ?, ended_at = ?, claim = NULL`,
    [f.status, f.step, f.divergedStep ?? null, f.error ?? null, json(f.details), f.prune?.rung ?? null, f.prune?.reason ?? null, f.stopReason ?? null, now()],
  );
}

function toRecord(r: RunRow, metrics: Record<string, number | null>, result: RunResult | null): RunRecord {
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
    pid: r.pid,
    uid: r.uid ?? null,
    stopReason: r.stop_reason ?? null,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    heartbeatAt: r.heartbeat_at,
    error: r.error,
    // `== null`: a store from before migration 3, read as it is, has no such columns (undefined)
    checkpoint: r.checkpoint_path == null ? null : { path: r.checkpoint_path, step: r.checkpoint_step ?? 0 },
    prune: r.prune_rung == null ? null : { rung: r.prune_rung, reason: r.prune_reason ?? '' },
    resumes: r.resumes_json ? JSON.parse(r.resumes_json) : [],
    metrics,
    result,
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

/** What ranks a run (`select`, a validation metric) and what is reported (`main`, its test twin),
 *  as stored with its task info. Runs stored before tasks named their validation metric select on
 *  the valid_ twin of their test metric when they logged it, else on the test metric itself; runs
 *  that stored no main metric at all (older stores) are judged by a test metric they logged
 *  (`logged`: the names of their metrics). */
export function judgedBy(taskInfo: Record<string, unknown> | null, logged: string[]): Judged | null {
  const m = taskInfo?.['main_metric'] as { name?: unknown; goal?: unknown; select?: unknown } | undefined;
  const stored = m && typeof m.name === 'string' && (m.goal === 'min' || m.goal === 'max');
  const main = stored ? (m.name as string) : [...logged].sort().find((n) => n.startsWith('test_'));
  if (!main) return null;
  const goal = stored ? (m.goal as 'min' | 'max') : /_acc$/.test(main) ? 'max' : 'min';
  const twin = main.replace(/^test_/, 'valid_');
  const select = stored && typeof m.select === 'string' ? m.select : logged.includes(twin) ? twin : main;
  return { main, select, goal };
}
export interface Judged {
  main: string;
  select: string;
  goal: 'min' | 'max';
}

/** The result of each run from its metric history (see RunResult). */
async function runResults(db: Db, rows: RunRow[], finals: Map<number, Record<string, number | null>>): Promise<Map<number, RunResult | null>> {
  const out = new Map<number, RunResult | null>();
  const info = (r: RunRow) => (r.task_info_json ? JSON.parse(r.task_info_json) : null);
  const judged = new Map(rows.map((r) => [r.id, judgedBy(info(r), Object.keys(finals.get(r.id) ?? {}))]));
  const names = [...new Set([...judged.values()].flatMap((j) => (j ? [j.main, j.select] : [])))];
  const ids = rows.map((r) => r.id).filter((id) => judged.get(id));
  const hist = new Map<number, Array<{ step: number; name: string; value: number | null }>>();
  if (ids.length && names.length) {
    const found = await db.all<{ run_id: number; step: number; name: string; value: number | null }>(
      `SELECT run_id, step, name, value FROM metrics WHERE run_id IN (${ids.map(() => '?').join(',')})
         AND name IN (${names.map(() => '?').join(',')}) ORDER BY run_id, step`,
      [...ids, ...names],
    );
    for (const h of found) hist.set(h.run_id, [...(hist.get(h.run_id) ?? []), h]);
  }
  for (const r of rows) out.set(r.id, selectEvaluation(hist.get(r.id) ?? [], judged.get(r.id) ?? null));
  return out;
}

/** The evaluation with the best finite `select` value in a metric history (ties: earliest step). */
export function selectEvaluation(
  history: ReadonlyArray<{ step: number; name: string; value: number | null }>,
  j: Judged | null,
): RunResult | null {
  if (!j) return null;
  let best: { step: number; value: number } | null = null;
  for (const h of history) {
    if (h.name !== j.select || h.value === null || !Number.isFinite(h.value)) continue;
    if (!best || (j.goal === 'min' ? h.value < best.value : h.value > best.value)) best = { step: h.step, value: h.value };
  }
  if (!best) return null;
  const main = history.find((h) => h.name === j.main && h.step === best!.step);
  return { step: best.step, select: { name: j.select, value: best.value }, main: { name: j.main, value: main?.value ?? null }, goal: j.goal };
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
  const results = await runResults(db, rows, metrics);
  return rows.map((r) => toRecord(r, metrics.get(r.id) ?? {}, results.get(r.id) ?? null));
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
