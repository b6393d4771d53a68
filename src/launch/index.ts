// `runSweep`: one sweep from overrides (or a stored sweep to resume) to a final status in the
// store, in named steps: plan (planCreated: validate every job and record the sweep; planResumed:
// the stored sweep's rules, its engine's news merged, its jobs planned again), skipDone, the
// scheduler (on resume, from the scores already in the store), the launch on the sweep's launcher
// (launchers.ts: local by default), and settleSweep. Printing is left to the caller.
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Db } from '../store/db.js';
import { createSweep, getSweep, setSweepStatus, skipJob, type JobRecord, type SweepStatus } from '../store/sweeps.js';
import { UserError } from '../util/errors.js';
import { LAUNCHERS, newRemoteSweep, type Stopped } from './launchers.js';
import type { JobOutcome, LaunchEvents } from './local.js';
import { currentCode, planNew, planResume, type PlannedJob } from './plan.js';
import { continuation, remoteSweep, settle, type RemoteSweep } from './remote.js';
import type { LauncherSettings } from './settings.js';
import { rungScores } from './rung-scores.js';
import { makeScheduler, type RungScore, type Scheduler, type SchedulerSettings } from './scheduler.js';
import type { SameCode } from '../store/runs.js';

export type { JobOutcome } from './local.js';
export type { PlannedJob } from './plan.js';

/** Once planned: the jobs to run, those already done (skipped), and on resume the stale jobs found. */
export interface SweepPlan {
  sweepId: number;
  resumed: boolean;
  /** On resume: the stored --rerun flag of the sweep. */
  rerun: boolean;
  total: number;
  toRun: PlannedJob[];
  done: PlannedJob[];
  /** Jobs the scheduler paused (pruned) that it may still promote. */
  paused: PlannedJob[];
  stale: number[];
  settings: SchedulerSettings;
}

export interface SweepEvents extends LaunchEvents {
  onPlan?(p: SweepPlan): void;
  /** Resume found jobs still alive in another process and waits for them to end or go stale. */
  onWait?(jobs: JobRecord[]): void;
  /** One line worth telling (a damaged checkpoint passed over). */
  onNotice?(line: string): void;
}

export interface SweepResult {
  sweepId: number;
  status: SweepStatus;
  outcomes: JobOutcome[];
  stopped: Stopped;
}

/** A sweep's status from its jobs once a launch ends (a detached sweep stays running). */
export async function settleSweep(db: Db, sweepId: number, stopped: Stopped): Promise<SweepStatus> {
  const { counts, status: now } = (await getSweep(db, sweepId))!;
  // Pruned jobs are an outcome of the scheduler, not unfinished work.
  const unfinished = counts.queued + counts.running + counts.interrupted;
  if (stopped === 'detached') return now;
  const status: SweepStatus =
    stopped === 'interrupted' ? 'interrupted'
    : counts.failed > 0 || stopped === 'fail-fast' ? 'failed'
    : unfinished > 0 ? 'interrupted'
    : 'finished';
  await setSweepStatus(db, sweepId, status);
  return status;
}

export interface RunSweepOptions {
  db: Db;
  /** Overrides with sweep syntax (ignored when resuming). */
  overrides: string[];
  resume?: number;
  /** Worker processes (default: the CPU cores). */
  workers?: number;
  failFast?: boolean;
  rerun?: boolean;
  /** Finished runs of other code (another commit, uncommitted changes) do not count as done. */
  rerunOtherCommits?: boolean;
  /** Resume jobs whose checkpoints another code version wrote. */
  force?: boolean;
  /** The command line, stored with the sweep. */
  command: string;
  signal?: AbortSignal;
  staleMs?: number;
  /** Remote launchers: submit the jobs and return; `irnn sweep collect` merges them later. */
  detach?: boolean;
  events?: SweepEvents;
}

/** A sweep once planned, new or resumed: what runs where, under which rules. */
interface Planned {
  sweepId: number;
  total: number;
  jobs: PlannedJob[];
  paused: PlannedJob[];
  stale: number[];
  settings: SchedulerSettings;
  launcher: LauncherSettings;
  remote: RemoteSweep | null;
  rerun: boolean;
  /** --rerun-other-commits: only finished runs of this code count as done. */
  only: SameCode | undefined;
}

/** Step 1 of a resume: the stored sweep's own rules, what finished on its engine since the last
 *  look merged first (and not run again), then its jobs planned again (planResume). */
async function planResumed(o: RunSweepOptions, id: number): Promise<Planned> {
  const { db, events = {} } = o;
  const stored = await getSweep(db, id);
  const rerun = stored?.spec['rerun'] === true; // a sweep started with --rerun reruns on resume too
  const only = stored?.spec['rerunOtherCommits'] === true ? currentCode() : undefined;
  const remote = stored ? remoteSweep(db, stored) : null;
  if (remote) await settle(remote, await LAUNCHERS[remote.settings.name].engine!.poll(remote), events);
  const checkpointOf = remote ? async (runId: number) => (await continuation(remote, runId, events.onNotice))?.checkpoint ?? null : undefined;
  const r = await planResume(db, id, { staleMs: o.staleMs, rerun, force: o.force, onWait: events.onWait, warn: events.onNotice, only, checkpointOf });
  await setSweepStatus(db, r.sweep.id, 'running');
  return { sweepId: r.sweep.id, total: r.sweep.total, jobs: r.jobs, paused: r.paused, stale: r.stale, settings: r.settings, launcher: r.launcher, remote, rerun, only };
}

/** Step 1 of a new sweep: its jobs planned and recorded (a remote sweep gets its token and folder). */
async function planCreated(o: RunSweepOptions): Promise<Planned> {
  const { db } = o;
  const rerun = o.rerun ?? false;
  const strict = o.rerunOtherCommits === true;
  const only = strict ? currentCode() : undefined;
  const { jobs, settings, launcher } = await planNew(db, { overrides: o.overrides, rerun, rerunOtherCommits: strict, code: only });
  if (o.detach && launcher.name === 'local') throw new UserError('--detach needs a remote launcher (launcher=slurm or launcher=redis)');
  const token = launcher.name === 'local' ? null : randomUUID();
  const sweepId = await createSweep(db, {
    spec: { overrides: o.overrides, jobs: jobs.length, rerun, rerunOtherCommits: strict, scheduler: settings, ...(token ? { launcher, token } : {}) },
    command: o.command,
    jobs,
  });
  const remote = token ? await newRemoteSweep(db, { sweepId, token, settings: launcher }) : null;
  return { sweepId, total: jobs.length, jobs, paused: [], stale: [], settings, launcher, remote, rerun, only };
}

/** Step 2: jobs whose config already has a finished run are recorded as skipped; the rest run. */
async function skipDone(db: Db, p: Planned): Promise<{ toRun: PlannedJob[]; done: PlannedJob[] }> {
  const done = p.jobs.filter((j) => j.doneRunId !== null);
  for (const j of done) await skipJob(db, p.sweepId, j.idx, j.doneRunId!);
  return { toRun: p.jobs.filter((j) => j.doneRunId === null), done };
}

/** Step 3: the scheduler, and on resume the scores every job already reached (a paused job waits
 *  at its last rung). */
async function schedulerFor(db: Db, p: Planned, resumed: boolean): Promise<{ scheduler: Scheduler; scoresOf: (idx: number, runId: number) => Promise<RungScore[]> }> {
  const scheduler = makeScheduler(p.settings);
  const scoresOf = (idx: number, runId: number) => rungScores(db, { idx, runId, scheduler });
  if (resumed) {
    for (const j of (await getSweep(db, p.sweepId))!.jobs) {
      if (j.runId === null) continue;
      const scores = await scoresOf(j.idx, j.runId);
      const last = Math.max(...scores.map((s) => s.rung));
      for (const s of scores) scheduler.record(s, j.status === 'pruned' && s.rung === last);
    }
  }
  return { scheduler, scoresOf };
}

/** One sweep from plan to status: plan (new or resumed), skip what is done, set up the scheduler,
 *  launch the rest on the sweep's launcher, and settle the sweep's status from its jobs. */
export async function runSweep(opts: RunSweepOptions): Promise<SweepResult> {
  const { db, events = {} } = opts;
  const resumed = opts.resume !== undefined;
  const p = resumed ? await planResumed(opts, opts.resume!) : await planCreated(opts);
  const { toRun, done } = await skipDone(db, p);
  events.onPlan?.({ sweepId: p.sweepId, resumed, rerun: p.rerun, total: p.total, toRun, done, paused: p.paused, stale: p.stale, settings: p.settings });
  const { scheduler, scoresOf } = await schedulerFor(db, p, resumed);
  let launched: { outcomes: JobOutcome[]; stopped: Stopped };
  try {
    launched = await LAUNCHERS[p.launcher.name].launch({
      db,
      sweepId: p.sweepId,
      settings: p.launcher,
      remote: p.remote,
      jobs: toRun,
      paused: p.paused,
      scheduler,
      scoresOf,
      workers: opts.workers ?? availableParallelism(),
      failFast: opts.failFast,
      rerun: p.rerun,
      only: p.only,
      force: opts.force,
      detach: opts.detach,
      signal: opts.signal,
      events,
    });
  } catch (e) {
    await setSweepStatus(db, p.sweepId, 'failed');
    throw e;
  }
  const status = await settleSweep(db, p.sweepId, launched.stopped);
  return { sweepId: p.sweepId, status, ...launched };
}
