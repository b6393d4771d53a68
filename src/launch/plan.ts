// Planning a sweep before anything runs: expand the overrides into jobs, compose every job's config
// (a bad value fails the whole sweep at once, exit code 2), hash it, and find the jobs whose
// config already has a finished run. On resume: detect stale `running` jobs and requeue what is
// unfinished. Starts no process and trains nothing.
import { existsSync, readFileSync } from 'node:fs';
import { composeConfig, configHash } from '../config/index.js';
import { expandSweep } from '../config/sweep.js';
import type { Db } from '../store/db.js';
import { findFinishedRun, isSameCode, type SameCode } from '../store/runs.js';
import { endJob, getSweep, interruptRun, requeueJob, runStatus, type JobRecord, type SweepRecord } from '../store/sweeps.js';
import { isUserError, UserError } from '../util/errors.js';
import { gitState, HARNESS_ROOT, type GitState } from '../util/git.js';
import { sleep } from '../util/time.js';

export interface PlannedJob {
  /** 1-based position in the sweep (sweep_jobs.idx). */
  idx: number;
  overrides: string[];
  configHash: string;
  /** A finished run with the same config, if one exists (the job is skipped unless --rerun). */
  doneRunId: number | null;
  /** That run ran other code: another commit, or a checkout with uncommitted changes (then or now). */
  doneByOtherCode: boolean;
}

/** The code a finished run must have run to count as done under --rerun-other-commits: this
 *  commit from a clean checkout; with uncommitted changes (or no git) no run's code is known to match. */
export function currentCode(git: GitState = gitState(HARNESS_ROOT)): SameCode {
  return { commit: git.dirty === false ? git.commit : null };
}

/** A `running` job is stale when its worker is gone or has not written a heartbeat for this long. */
const STALE_MS = 10 * 60_000;

/** Composes and hashes every job; the first bad job's error names the job and how many are bad. */
function validateJobs(jobs: Array<{ idx: number; overrides: string[] }>): Map<number, string> {
  const hashes = new Map<number, string>();
  let first: { idx: number; overrides: string[]; message: string } | null = null;
  let bad = 0;
  for (const job of jobs) {
    try {
      hashes.set(job.idx, configHash(composeConfig({ overrides: job.overrides }).config));
    } catch (e) {
      if (!isUserError(e)) throw e;
      bad++;
      first ??= { ...job, message: e.message };
    }
  }
  if (first) {
    const more = bad > 1 ? ` (${bad} of ${jobs.length} jobs are invalid)` : '';
    throw new UserError(`job ${first.idx} [${first.overrides.join(' ')}]: ${first.message}${more}`);
  }
  return hashes;
}

/** The overrides of each job that are not the same in every job: what tells the jobs apart. */
export function varyingParts(jobs: string[][]): string[][] {
  const common = jobs.length > 1 ? jobs[0]!.filter((o) => jobs.every((j) => j.includes(o))) : [];
  return jobs.map((j) => j.filter((o) => !common.includes(o)));
}

/** A new sweep's jobs. With `db` null (a dry run without a store) nothing is looked up. A job is
 *  done when its config has a finished run; with `rerunOtherCommits` only a run of the current
 *  code (`code`, default: this checkout) counts. */
export async function planNew(
  db: Db | null,
  o: { overrides: string[]; rerun?: boolean; rerunOtherCommits?: boolean; code?: SameCode },
): Promise<PlannedJob[]> {
  const jobs = expandSweep({ overrides: o.overrides }).map((overrides, i) => ({ idx: i + 1, overrides }));
  const hashes = validateJobs(jobs);
  const look = db !== null && !o.rerun;
  const code = look ? (o.code ?? currentCode()) : { commit: null };
  const out: PlannedJob[] = [];
  for (const j of jobs) {
    const configHash = hashes.get(j.idx)!;
    const done = look ? await findFinishedRun(db, configHash, o.rerunOtherCommits ? { only: code } : { prefer: code }) : undefined;
    out.push({ ...j, configHash, doneRunId: done?.id ?? null, doneByOtherCode: done !== undefined && !isSameCode(done.git, code) });
  }
  return out;
}

/** Whether a process id names a live process (a zombie counts as dead). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    return readFileSync(stat, 'utf8').replace(/^.*\)\s*/s, '')[0] !== 'Z';
  } catch {
    return false; // exited between the two checks
  }
}

function isStale(job: JobRecord, staleMs = STALE_MS, at = Date.now()): boolean {
  if (job.status !== 'running') return false;
  if (job.workerPid !== null && !pidAlive(job.workerPid)) return true;
  const beat = job.heartbeatAt ?? job.startedAt;
  return beat === null || at - Date.parse(beat) > staleMs;
}

/** Resuming: waits for jobs that are still alive elsewhere, adopts runs that finished although
 *  their job record did not, marks the runs of lost jobs interrupted (their metric rows stay with
 *  them), and requeues every job that is not finished or diverged. */
export async function planResume(
  db: Db,
  sweepId: number,
  o: { staleMs?: number; onWait?: (jobs: JobRecord[]) => void; only?: SameCode } = {},
): Promise<{ sweep: SweepRecord; jobs: PlannedJob[]; stale: number[] }> {
  let sweep = await getSweep(db, sweepId);
  if (!sweep) throw new UserError(`sweep ${sweepId}: no such sweep in ${db.path}`);
  for (let waited = false; ; waited = true) {
    const live = sweep.jobs.filter((j) => j.status === 'running' && !isStale(j, o.staleMs));
    if (live.length === 0) break;
    if (!waited) o.onWait?.(live);
    await sleep(500);
    sweep = (await getSweep(db, sweepId))!;
  }
  const open = sweep.jobs.filter((j) => j.status !== 'finished' && j.status !== 'diverged');
  const stale = open.filter((j) => j.status === 'running').map((j) => j.idx);
  const hashes = validateJobs(open);
  const code = o.only ?? currentCode();
  const jobs: PlannedJob[] = [];
  for (const j of open) {
    const status = j.runId === null ? undefined : await runStatus(db, j.runId);
    if (status === 'finished' || status === 'diverged') {
      await endJob(db, sweepId, j.idx, { status, runId: j.runId });
      continue;
    }
    if (status === 'running') await interruptRun(db, j.runId!, `its worker was lost; sweep ${sweepId} was resumed`);
    const configHash = hashes.get(j.idx)!;
    await requeueJob(db, sweepId, j.idx, configHash);
    const done = await findFinishedRun(db, configHash, { only: o.only });
    jobs.push({ idx: j.idx, overrides: j.overrides, configHash, doneRunId: done?.id ?? null, doneByOtherCode: done !== undefined && !isSameCode(done.git, code) });
  }
  return { sweep: (await getSweep(db, sweepId))!, jobs, stale };
}
