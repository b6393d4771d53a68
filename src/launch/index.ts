// `runSweep`: one sweep from overrides (or a stored sweep to resume) to a final status in the
// store: plan and validate every job, record the sweep, skip what is already done, set up the
// scheduler (on resume, from the scores already in the store), run the rest on the chosen launcher
// (launchers.ts: local by default), and settle the sweep's status. Printing is left to the caller.
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
import { makeScheduler, type SchedulerSettings } from './scheduler.js';

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

export async function runSweep(opts: {
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
}): Promise<SweepResult> {
  const { db, events = {} } = opts;
  let sweepId: number;
  let planned: PlannedJob[];
  let paused: PlannedJob[] = [];
  let stale: number[] = [];
  let total: number;
  let settings: SchedulerSettings;
  let rerun = opts.rerun ?? false;
  let launcher: LauncherSettings;
  let remote: RemoteSweep | null = null;
  // A resumed sweep keeps the rules it was created with.
  const stored = opts.resume !== undefined ? await getSweep(db, opts.resume) : undefined;
  const strict = stored ? stored.spec['rerunOtherCommits'] === true : opts.rerunOtherCommits === true;
  const only = strict ? currentCode() : undefined;
  if (opts.resume !== undefined) {
    rerun = stored?.spec['rerun'] === true; // a sweep started with --rerun reruns on resume too
    remote = stored ? remoteSweep(db, stored) : null;
    // what finished on the engine since the last look is merged first, and not run again
    if (remote) await settle(remote, await LAUNCHERS[remote.settings.name].engine!.poll(remote), events);
    const at = remote;
    const checkpointOf = at ? async (runId: number) => (await continuation(at, runId, events.onNotice))?.checkpoint ?? null : undefined;
    const r = await planResume(db, opts.resume, { staleMs: opts.staleMs, rerun, force: opts.force, onWait: events.onWait, warn: events.onNotice, only, checkpointOf });
    ({ jobs: planned, paused, stale, settings, launcher } = r);
    sweepId = r.sweep.id;
    total = r.sweep.total;
    await setSweepStatus(db, sweepId, 'running');
  } else {
    ({ jobs: planned, settings, launcher } = await planNew(db, { overrides: opts.overrides, rerun, rerunOtherCommits: strict, code: only }));
    if (opts.detach && launcher.name === 'local') throw new UserError('--detach needs a remote launcher (launcher=slurm or launcher=redis)');
    total = planned.length;
    const token = launcher.name === 'local' ? null : randomUUID();
    sweepId = await createSweep(db, {
      spec: { overrides: opts.overrides, jobs: planned.length, rerun, rerunOtherCommits: strict, scheduler: settings, ...(token ? { launcher, token } : {}) },
      command: opts.command,
      jobs: planned,
    });
    if (token) remote = await newRemoteSweep(db, { sweepId, token, settings: launcher });
  }
  const done = planned.filter((j) => j.doneRunId !== null);
  for (const j of done) await skipJob(db, sweepId, j.idx, j.doneRunId!);
  const toRun = planned.filter((j) => j.doneRunId === null);
  events.onPlan?.({ sweepId, resumed: opts.resume !== undefined, rerun, total, toRun, done, paused, stale, settings });

  const scheduler = makeScheduler(settings);
  const scoresOf = (idx: number, runId: number) => rungScores(db, { idx, runId, scheduler });
  if (opts.resume !== undefined) {
    // The scores every job already reached; a paused job waits at its last rung.
    for (const j of (await getSweep(db, sweepId))!.jobs) {
      if (j.runId === null) continue;
      const scores = await scoresOf(j.idx, j.runId);
      const last = Math.max(...scores.map((s) => s.rung));
      for (const s of scores) scheduler.record(s, j.status === 'pruned' && s.rung === last);
    }
  }

  let launched: { outcomes: JobOutcome[]; stopped: Stopped };
  try {
    launched = await LAUNCHERS[launcher.name].launch({
      db,
      sweepId,
      settings: launcher,
      remote,
      jobs: toRun,
      paused,
      scheduler,
      scoresOf,
      workers: opts.workers ?? availableParallelism(),
      failFast: opts.failFast,
      rerun,
      only,
      force: opts.force,
      detach: opts.detach,
      signal: opts.signal,
      events,
    });
  } catch (e) {
    await setSweepStatus(db, sweepId, 'failed');
    throw e;
  }
  const status = await settleSweep(db, sweepId, launched.stopped);
  return { sweepId, status, ...launched };
}
