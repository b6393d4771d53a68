// Planning a sweep before anything runs: expand the overrides into jobs, compose every job's config
// (a bad value fails the whole sweep at once, exit code 2), hash it, read the scheduler settings
// (the same for every job), and find the jobs whose config already has a finished run. On resume:
// wait for jobs alive elsewhere, release the runs of stale jobs (releaseStaleJobRun, the one place
// that marks them interrupted), and take each unfinished job through resumeStep: adopt its run's
// end, keep it paused, continue it from its checkpoint (refused across code versions unless
// forced) or run it again. Starts no process and trains nothing.
import { composeConfig, configHash, type Config } from '../config/index.js';
import { expandSweep } from '../config/sweep.js';
import type { Db } from '../store/db.js';
import { findFinishedRun, getRun, isSameCode, releaseStaleRun, type SameCode } from '../store/runs.js';
import { endJob, getSweep, linkJobRun, requeueJob, runStatus, type JobRecord, type SweepRecord } from '../store/sweeps.js';
import { provenance } from '../train/provenance.js';
import { runCheckpoint } from '../train/resume.js';
import { schedulerSettings, type SchedulerSettings } from './scheduler.js';
import { launcherSettings, type LauncherSettings } from './settings.js';
import { isUserError, UserError } from '../util/errors.js';
import { gitState, HARNESS_ROOT, type GitState } from '../util/git.js';
import { isStale, STALE_MS } from '../util/process.js';
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
  /** Resume: the job's interrupted run, continued from its checkpoint. */
  resume?: number;
}

/** The code a finished run must have run to count as done under --rerun-other-commits: this
 *  commit from a clean checkout; with uncommitted changes (or no git) no run's code is known to match. */
export function currentCode(git: GitState = gitState(HARNESS_ROOT)): SameCode {
  return { commit: git.dirty === false ? git.commit : null };
}

interface Validated {
  hashes: Map<number, string>;
  settings: SchedulerSettings;
  launcher: LauncherSettings;
}

/** The launcher every job shares; ASHA's rung decisions need the local launcher. */
function checkLauncher(cfg: Config, first: LauncherSettings | null, s: SchedulerSettings): LauncherSettings {
  const l = launcherSettings(cfg);
  if (first && JSON.stringify(first) !== JSON.stringify(l)) throw new UserError('launcher and launcher.* settings must be the same for every job');
  if (l.name !== 'local' && s.scheduler !== 'grid') throw new UserError(`sweep.scheduler=${s.scheduler} runs on launcher=local only (its rung decisions need the launcher beside the jobs)`);
  return l;
}

/** The scheduler settings every job shares; ASHA's rungs must fall on evaluation steps. */
function checkSettings(cfg: Config, first: SchedulerSettings | null): SchedulerSettings {
  const s = schedulerSettings(cfg);
  if (first && JSON.stringify(first) !== JSON.stringify(s)) throw new UserError('sweep.* settings must be the same for every job');
  if (s.scheduler === 'asha' && s.grace % cfg.train.eval_every !== 0) {
    throw new UserError(`sweep.grace=${s.grace} must be a multiple of train.eval_every=${cfg.train.eval_every} (ASHA ranks jobs at evaluations)`);
  }
  return s;
}

/** Composes and hashes every job; the first bad job's error names the job and how many are bad. */
function validateJobs(jobs: Array<{ idx: number; overrides: string[] }>): Validated {
  const hashes = new Map<number, string>();
  let settings: SchedulerSettings | null = null;
  let launcher: LauncherSettings | null = null;
  let first: { idx: number; overrides: string[]; message: string } | null = null;
  let bad = 0;
  for (const job of jobs) {
    try {
      const { config } = composeConfig({ overrides: job.overrides });
      settings = checkSettings(config, settings);
      launcher = checkLauncher(config, launcher, settings);
      hashes.set(job.idx, configHash(config));
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
  const base = composeConfig({ overrides: [] }).config;
  return { hashes, settings: settings ?? schedulerSettings(base), launcher: launcher ?? launcherSettings(base) };
}

/** A new sweep's jobs. With `db` null (a dry run without a store) nothing is looked up. A job is
 *  done when its config has a finished run; with `rerunOtherCommits` only a run of the current
 *  code (`code`, default: this checkout) counts. */
export async function planNew(
  db: Db | null,
  o: { overrides: string[]; rerun?: boolean; rerunOtherCommits?: boolean; code?: SameCode },
): Promise<{ jobs: PlannedJob[]; settings: SchedulerSettings; launcher: LauncherSettings }> {
  const jobs = expandSweep({ overrides: o.overrides }).map((overrides, i) => ({ idx: i + 1, overrides }));
  const { hashes, settings, launcher } = validateJobs(jobs);
  const look = db !== null && !o.rerun;
  const code = look ? (o.code ?? currentCode()) : { commit: null };
  const out: PlannedJob[] = [];
  for (const j of jobs) {
    const configHash = hashes.get(j.idx)!;
    const done = look ? await findFinishedRun(db, configHash, o.rerunOtherCommits ? { only: code } : { prefer: code }) : undefined;
    out.push({ ...j, configHash, doneRunId: done?.id ?? null, doneByOtherCode: done !== undefined && !isSameCode(done.git, code) });
  }
  return { jobs: out, settings, launcher };
}

function jobIsStale(job: JobRecord, staleMs = STALE_MS): boolean {
  return job.status === 'running' && isStale({ pid: job.workerPid, beat: job.heartbeatAt ?? job.startedAt, staleMs });
}

/** A run of this config left `running` by a process that is gone (stale by pid or heartbeat) and
 *  linked to no job: what a launcher killed between creating a run and linking it left behind.
 *  Reads only; the caller marks what it finds. */
async function orphanRuns(db: Db, configHash: string, staleMs?: number): Promise<number[]> {
  const rows = await db.all<{ id: number; pid: number | null; host: string | null; heartbeat_at: string | null }>(
    `SELECT id, pid, host, heartbeat_at FROM runs WHERE config_hash = ? AND status = 'running'
       AND id NOT IN (SELECT run_id FROM sweep_jobs WHERE run_id IS NOT NULL) ORDER BY id DESC`,
    [configHash],
  );
  return rows.filter((r) => isStale({ pid: r.pid, host: r.host, beat: r.heartbeat_at, staleMs })).map((r) => r.id);
}

/** Waits while some of the sweep's jobs are still alive in another process (running, not stale);
 *  returns the sweep as it is once none is. */
async function waitForLiveJobs(db: Db, sweepId: number, o: { staleMs?: number; onWait?: (jobs: JobRecord[]) => void }): Promise<SweepRecord> {
  let sweep = await getSweep(db, sweepId);
  if (!sweep) throw new UserError(`sweep ${sweepId}: no such sweep in ${db.path}`);
  for (let waited = false; ; waited = true) {
    const live = sweep.jobs.filter((j) => j.status === 'running' && !jobIsStale(j, o.staleMs));
    if (live.length === 0) return sweep;
    if (!waited) o.onWait?.(live);
    await sleep(500);
    sweep = (await getSweep(db, sweepId))!;
  }
}

/** The one place resuming takes a stale job's run from the process that lost it: the job's run
 *  (or, for a job left `running` before it linked one, the orphaned run of its config, linked to
 *  it now) is marked interrupted when it is still `running` (its metric rows stay with it), each
 *  through the store's compare-and-set on the run's claim: a run that another live process holds
 *  (`irnn run --resume` of it, say) is left alone, and the sweep cannot take the job. Called only
 *  once no job of the sweep is alive elsewhere (waitForLiveJobs). Returns the run and its status
 *  after that. */
export async function releaseStaleJobRun(
  db: Db,
  sweepId: number,
  job: JobRecord,
  o: { configHash: string; staleMs?: number },
): Promise<{ runId: number | null; status: string | undefined }> {
  let runId = job.runId;
  if (runId === null && job.status === 'running') {
    const lost: number[] = [];
    for (const id of await orphanRuns(db, o.configHash, o.staleMs)) {
      if ((await releaseStaleRun(db, id, 'its process was lost before its sweep job recorded it', { staleMs: o.staleMs })) === null) lost.push(id);
    }
    runId = lost[0] ?? null;
    if (runId !== null) await linkJobRun(db, sweepId, job.idx, runId);
  }
  const status = runId === null ? undefined : await runStatus(db, runId);
  if (status !== 'running') return { runId, status };
  const holder = await releaseStaleRun(db, runId!, `its worker was lost; sweep ${sweepId} was resumed`, { staleMs: o.staleMs });
  if (holder !== null) throw new UserError(`sweep ${sweepId}: job ${job.idx}'s run ${runId} is being trained by ${holder}; wait for it to end or stop it, then resume the sweep`);
  return { runId, status: 'interrupted' };
}

/** What resuming does with a job that is not finished, by its run's state (the job state machine
 *  of a resume): `adopt` the end its run reached although the job did not record it; keep it
 *  `paused` for the scheduler (pruned, with a run to promote); `continue` its run from a
 *  checkpoint; or `restart` it (queued, failed, or interrupted before a checkpoint). */
export type ResumeStep = 'adopt' | 'paused' | 'continue' | 'restart';
export function resumeStep(job: Pick<JobRecord, 'status'>, run: { id: number | null; status: string | undefined; checkpoint: boolean }, scheduler: SchedulerSettings['scheduler']): ResumeStep {
  if (run.status === 'finished' || run.status === 'diverged') return 'adopt';
  if (job.status === 'pruned' && run.id !== null && scheduler !== 'grid') return 'paused';
  return run.checkpoint ? 'continue' : 'restart';
}

/** Resuming: waits for jobs that are still alive elsewhere, releases the runs of stale jobs
 *  (releaseStaleJobRun), then takes each job that is not finished or diverged through resumeStep:
 *  adopted, kept paused for the scheduler, continued from its checkpoint (refused across code
 *  versions unless forced) or run again; every job to run is queued again. Returns the jobs to
 *  run and the paused ones (with their runs) for the scheduler. */
export async function planResume(
  db: Db,
  sweepId: number,
  o: {
    staleMs?: number;
    rerun?: boolean;
    force?: boolean;
    onWait?: (jobs: JobRecord[]) => void;
    warn?: (line: string) => void;
    only?: SameCode;
    /** Where a run's checkpoint is (a remote sweep's runs: beside their shards); default: beside the store. */
    checkpointOf?: (runId: number) => Promise<ReturnType<typeof runCheckpoint>>;
  } = {},
): Promise<{ sweep: SweepRecord; jobs: PlannedJob[]; paused: PlannedJob[]; stale: number[]; settings: SchedulerSettings; launcher: LauncherSettings }> {
  const sweep = await waitForLiveJobs(db, sweepId, o);
  const { hashes, settings, launcher } = validateJobs(sweep.jobs);
  const open = sweep.jobs.filter((j) => j.status !== 'finished' && j.status !== 'diverged');
  const stale = open.filter((j) => j.status === 'running').map((j) => j.idx);
  const code = o.only ?? currentCode();
  const checkpointOf = o.checkpointOf ?? (async (id: number) => {
    const run = await getRun(db, id);
    return run ? runCheckpoint(db, run, o.warn) : null;
  });
  const jobs: PlannedJob[] = [];
  const paused: PlannedJob[] = [];
  const versions: string[] = [];
  for (const j of open) {
    const configHash = hashes.get(j.idx)!;
    const { runId, status } = await releaseStaleJobRun(db, sweepId, j, { configHash, staleMs: o.staleMs });
    // a failed run starts afresh; an interrupted one goes on from its checkpoint
    const ckpt = runId !== null && status !== 'failed' && status !== 'finished' && status !== 'diverged' ? await checkpointOf(runId) : null;
    const planned: PlannedJob = { idx: j.idx, overrides: j.overrides, configHash, doneRunId: null, doneByOtherCode: false };
    const step = resumeStep(j, { id: runId, status, checkpoint: ckpt !== null }, settings.scheduler);
    if (step === 'adopt') {
      await endJob(db, sweepId, j.idx, { status: status as 'finished' | 'diverged', runId });
      continue;
    }
    if (step === 'restart' && runId !== null && status !== 'failed' && !o.checkpointOf) {
      // A checkpoint the store recorded that cannot be used now (not copied with the store,
      // deleted, or unreadable): said aloud, since the job starts over.
      const recorded = (await getRun(db, runId))?.checkpoint;
      if (recorded) o.warn?.(`run ${runId} recorded a checkpoint at step ${recorded.step} (${recorded.path}) and none can be used now: its job starts again from step 0`);
    }
    if (step === 'paused') {
      paused.push({ ...planned, resume: runId! });
      continue;
    }
    const wrote = ckpt?.content.meta['code'] as string | undefined;
    if (ckpt && wrote !== provenance().code) versions.push(`job ${j.idx} (run ${runId}, ${wrote})`);
    await requeueJob(db, sweepId, j.idx, configHash);
    const done = o.rerun ? undefined : await findFinishedRun(db, configHash, { only: o.only });
    jobs.push({ ...planned, doneRunId: done?.id ?? null, doneByOtherCode: done !== undefined && !isSameCode(done.git, code), ...(step === 'continue' ? { resume: runId! } : {}) });
  }
  if (versions.length && !o.force) {
    throw new UserError(
      `sweep ${sweepId}: the checkpoints of ${versions.join(', ')} were written by another code version than this one ` +
        `(${provenance().code}); the jobs may not continue exactly. Resume anyway with --force`,
    );
  }
  return { sweep: (await getSweep(db, sweepId))!, jobs, paused, stale, settings, launcher };
}
