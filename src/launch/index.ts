// `runSweep`: one sweep from overrides (or a stored sweep to resume) to a final status in the
// store: plan and validate every job, record the sweep, skip what is already done, run the rest
// on the local launcher, and settle the sweep's status. Printing is left to the caller (events).
import { availableParallelism } from 'node:os';
import type { Db } from '../store/db.js';
import { createSweep, getSweep, setSweepStatus, skipJob, type JobRecord, type SweepStatus } from '../store/sweeps.js';
import { launchLocal, type JobOutcome, type LaunchEvents } from './local.js';
import { currentCode, planNew, planResume, type PlannedJob } from './plan.js';

export type { JobOutcome } from './local.js';
export type { PlannedJob } from './plan.js';

/** Once planned: the jobs to run, those already done (skipped), and on resume the stale jobs found. */
export interface SweepPlan {
  sweepId: number;
  resumed: boolean;
  total: number;
  toRun: PlannedJob[];
  done: PlannedJob[];
  stale: number[];
}

export interface SweepEvents extends LaunchEvents {
  onPlan?(p: SweepPlan): void;
  /** Resume found jobs still alive in another process and waits for them to end or go stale. */
  onWait?(jobs: JobRecord[]): void;
}

export interface SweepResult {
  sweepId: number;
  status: SweepStatus;
  outcomes: JobOutcome[];
  stopped: 'done' | 'fail-fast' | 'interrupted';
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
  /** The command line, stored with the sweep. */
  command: string;
  signal?: AbortSignal;
  staleMs?: number;
  events?: SweepEvents;
}): Promise<SweepResult> {
  const { db, events = {} } = opts;
  let sweepId: number;
  let planned: PlannedJob[];
  let stale: number[] = [];
  let total: number;
  // A resumed sweep keeps the rule it was created with.
  const strict = opts.resume !== undefined ? (await getSweep(db, opts.resume))?.spec['rerunOtherCommits'] === true : opts.rerunOtherCommits === true;
  const only = strict ? currentCode() : undefined;
  if (opts.resume !== undefined) {
    const r = await planResume(db, opts.resume, { staleMs: opts.staleMs, onWait: events.onWait, only });
    ({ jobs: planned, stale } = r);
    sweepId = r.sweep.id;
    total = r.sweep.total;
    await setSweepStatus(db, sweepId, 'running');
  } else {
    planned = await planNew(db, { overrides: opts.overrides, rerun: opts.rerun, rerunOtherCommits: strict, code: only });
    total = planned.length;
    sweepId = await createSweep(db, {
      spec: { overrides: opts.overrides, jobs: planned.length, rerun: opts.rerun ?? false, rerunOtherCommits: strict },
      command: opts.command,
      jobs: planned,
    });
  }
  const done = planned.filter((j) => j.doneRunId !== null);
  for (const j of done) await skipJob(db, sweepId, j.idx, j.doneRunId!);
  const toRun = planned.filter((j) => j.doneRunId === null);
  events.onPlan?.({ sweepId, resumed: opts.resume !== undefined, total, toRun, done, stale });

  let launched: Awaited<ReturnType<typeof launchLocal>>;
  try {
    launched = await launchLocal({
      db,
      sweepId,
      jobs: toRun,
      workers: opts.workers ?? availableParallelism(),
      failFast: opts.failFast,
      rerun: opts.rerun,
      only,
      signal: opts.signal,
      events,
    });
  } catch (e) {
    await setSweepStatus(db, sweepId, 'failed');
    throw e;
  }
  const { counts } = (await getSweep(db, sweepId))!;
  const unfinished = counts.queued + counts.running + counts.interrupted;
  const status: SweepStatus =
    launched.stopped === 'interrupted' ? 'interrupted'
    : counts.failed > 0 || launched.stopped === 'fail-fast' ? 'failed'
    : unfinished > 0 ? 'interrupted'
    : 'finished';
  await setSweepStatus(db, sweepId, status);
  return { sweepId, status, ...launched };
}
