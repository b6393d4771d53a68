// The local launcher: a pool of N worker processes (worker.ts) on this machine, each running one
// job at a time, all writing to the one SQLite store. It hands out jobs (a paused job the scheduler
// promotes first, then the queue), skips those whose config already has a finished run, answers
// the workers' rung questions through the scheduler, replaces a worker that dies, stops on abort
// (Ctrl-C) or a failure with fail-fast, and reports every outcome as it happens. It plans nothing
// (see plan.ts).
import type { ChildProcess } from 'node:child_process';
import type { Db } from '../store/db.js';
import { findFinished, type SameCode } from '../store/runs.js';
import { endJob, getJob, interruptRun, requeueJob, skipJob, type JobStatus } from '../store/sweeps.js';
import type { Prune } from '../train/run.js';
import { forkModule } from './fork.js';
import type { RungScore, Scheduler } from './scheduler.js';

export type ToWorker =
  | { type: 'job'; idx: number; overrides: string[]; resume?: number; force?: boolean }
  | { type: 'decision'; idx: number; reason: string | null }
  | { type: 'exit' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'started'; idx: number; runId: number }
  | ({ type: 'rung' } & Omit<RungScore, 'rung'> & { step: number })
  | {
      type: 'done';
      idx: number;
      /** `taken`: another launcher claimed the job first. */
      status: Exclude<JobStatus, 'queued' | 'running'> | 'taken';
      runId: number | null;
      error: string | null;
      userError: boolean;
      metrics: Record<string, number>;
      seconds: number;
      prune: Prune | null;
    };

export interface LaunchJob {
  idx: number;
  overrides: string[];
  configHash: string;
  /** Continue this run from its checkpoint instead of starting a new one. */
  resume?: number;
}

export interface JobOutcome {
  idx: number;
  status: Exclude<JobStatus, 'queued' | 'running'> | 'skipped' | 'taken';
  runId: number | null;
  error: string | null;
  metrics: Record<string, number>;
  seconds: number;
  /** A job the scheduler paused: at which rung and why. */
  prune?: Prune | null;
}

export interface LaunchEvents {
  /** `resumed`: a run continued from its checkpoint (an interrupted job, or a promoted one). */
  onJobStart?(e: { idx: number; pid: number; resumed: boolean }): void;
  onJobDone?(o: JobOutcome): void;
}


interface Slot {
  child: ChildProcess;
  ready: boolean;
  job: LaunchJob | null;
  /** Which hand-out of a job this is (a job paused and promoted is handed out again). */
  dispatch: number;
  /** The launcher is choosing this worker's next job (awaiting the store): nothing else may. */
  choosing: boolean;
  runId: number | null;
  started: number;
  stderr: string[];
}

export async function launchLocal(opts: {
  db: Db;
  sweepId: number;
  jobs: LaunchJob[];
  workers: number;
  failFast?: boolean;
  rerun?: boolean;
  /** Only finished runs of this code count as done (--rerun-other-commits). */
  only?: SameCode;
  /** Resume across code versions. */
  force?: boolean;
  scheduler: Scheduler;
  /** Jobs paused by the scheduler before this launch (a resumed sweep), by index. */
  paused?: LaunchJob[];
  /** The rung scores of a finished run (a skipped job still competes at its rungs). */
  scoresOf?: (idx: number, runId: number) => Promise<RungScore[]>;
  signal?: AbortSignal;
  events?: LaunchEvents;
}): Promise<{ outcomes: JobOutcome[]; stopped: 'done' | 'fail-fast' | 'interrupted' }> {
  const { db, sweepId, events = {}, scheduler } = opts;
  const queue = [...opts.jobs];
  const paused = new Map((opts.paused ?? []).map((j) => [j.idx, j]));
  let dispatches = 0;
  const slots = new Set<Slot>();
  const outcomes: JobOutcome[] = [];
  let stopped: 'done' | 'fail-fast' | 'interrupted' = 'done';
  let startupError: string | null = null;
  let settle!: () => void;
  const finished = new Promise<void>((r) => (settle = r));

  const jobs = new Map([...opts.jobs, ...paused.values()].map((j) => [j.idx, j]));
  const reported = new Set<number>();
  const report = (o: JobOutcome, dispatch: number) => {
    if (reported.has(dispatch)) return; // a worker's last message can arrive after its exit
    reported.add(dispatch);
    outcomes.push(o);
    if (o.status === 'pruned' && o.runId !== null) paused.set(o.idx, { ...jobs.get(o.idx)!, resume: o.runId });
    else scheduler.drop(o.idx); // told to pause but ended otherwise: nothing to promote
    events.onJobDone?.(o);
  };
  const sendTo = (slot: Slot, m: ToWorker) => {
    if (slot.child.connected) slot.child.send(m, (e) => e && slot.child.kill('SIGKILL'));
  };

  const stop = (why: 'fail-fast' | 'interrupted') => {
    if (stopped !== 'done') return;
    stopped = why;
    queue.length = 0;
    for (const s of slots) {
      if (s.job) s.child.kill('SIGINT'); // the worker ends its job as interrupted, then exits
      else sendTo(s, { type: 'exit' });
    }
  };
  opts.signal?.addEventListener('abort', () => stop('interrupted'), { once: true });
  if (opts.signal?.aborted) stop('interrupted');

  const dispatch = (slot: Slot, job: LaunchJob) => {
    Object.assign(slot, { job, runId: job.resume ?? null, started: Date.now(), dispatch: ++dispatches });
    sendTo(slot, { type: 'job', idx: job.idx, overrides: job.overrides, resume: job.resume, force: opts.force });
    events.onJobStart?.({ idx: job.idx, pid: slot.child.pid!, resumed: job.resume !== undefined });
  };

  /** Gives an idle worker the next job: a paused job the scheduler promotes, else the next queued
   *  one, skipping jobs already done; a job whose config is running in another worker waits, so one
   *  config never trains twice at once. */
  const next = async (slot: Slot): Promise<void> => {
    if (slot.choosing) return;
    slot.choosing = true;
    try {
      await choose(slot);
    } finally {
      slot.choosing = false;
    }
  };
  const choose = async (slot: Slot): Promise<void> => {
    while (stopped === 'done') {
      const promoted = scheduler.promote();
      if (promoted !== null) {
        const job = paused.get(promoted);
        if (!job) continue; // not paused here (its run ended otherwise)
        paused.delete(promoted);
        slot.job = job; // held while the store is updated
        await requeueJob(db, sweepId, job.idx, job.configHash);
        dispatch(slot, job);
        return;
      }
      if (queue.length === 0) break;
      const busy = new Set([...slots].map((s) => s.job?.configHash));
      const i = queue.findIndex((j) => !busy.has(j.configHash));
      if (i < 0) return; // stays idle until a running job ends
      const job = queue.splice(i, 1)[0]!;
      slot.job = job;
      const done = opts.rerun || job.resume !== undefined ? undefined : await findFinished(db, job.configHash, opts.only);
      if (stopped !== 'done') {
        slot.job = null; // stopped meanwhile: the job stays queued in the store
        break;
      }
      if (done === undefined) {
        dispatch(slot, job);
        return;
      }
      slot.job = null;
      await skipJob(db, sweepId, job.idx, done);
      for (const s of (await opts.scoresOf?.(job.idx, done)) ?? []) scheduler.record(s, false);
      report({ idx: job.idx, status: 'skipped', runId: done, error: null, metrics: {}, seconds: 0 }, ++dispatches);
    }
    // A job still running may report at a rung and make a paused job promotable: wait for it.
    if (stopped === 'done' && scheduler.promotes && paused.size > 0 && [...slots].some((s) => s.job)) return;
    if (queue.length === 0 || stopped !== 'done') sendTo(slot, { type: 'exit' });
  };
  const wakeIdle = () => {
    for (const s of slots) if (s.ready && !s.job && !s.choosing) void next(s);
  };

  const onMessage = (slot: Slot, m: FromWorker) => {
    if (m.type === 'ready') {
      slot.ready = true;
      void next(slot);
    } else if (m.type === 'started') {
      slot.runId = m.runId;
    } else if (m.type === 'rung') {
      const reason = stopped === 'done' ? scheduler.atRung({ idx: m.idx, rung: m.step, metric: m.metric, value: m.value, goal: m.goal }) : null;
      sendTo(slot, { type: 'decision', idx: m.idx, reason });
      if (reason === null) wakeIdle(); // the new score may make a paused job promotable
    } else if (m.type === 'done') {
      slot.job = null;
      report({ idx: m.idx, status: m.status, runId: m.runId, error: m.error, metrics: m.metrics, seconds: m.seconds, prune: m.prune }, slot.dispatch);
      if (m.status === 'failed' && opts.failFast) stop('fail-fast');
      void next(slot);
      wakeIdle();
    }
  };

  /** A worker that exits with a job in hand: its outcome message was lost, it never started the
   *  job (the job goes back to the queue), or it was killed or crashed mid-job. */
  const onExit = async (slot: Slot, code: number | null, signal: NodeJS.Signals | null) => {
    slots.delete(slot);
    const job = slot.job;
    if (!slot.ready && !job) startupError ??= slot.stderr.join('\n').trim() || `exit code ${code ?? signal}`;
    const recorded = job ? await getJob(db, sweepId, job.idx) : undefined;
    const seconds = (Date.now() - slot.started) / 1000;
    if (!job || !recorded) {
      // nothing in hand
    } else if (recorded.status === 'queued') {
      if (stopped === 'done') queue.unshift(job);
    } else if (recorded.status !== 'running') {
      report({ idx: job.idx, status: recorded.status, runId: recorded.runId, error: recorded.error, metrics: {}, seconds }, slot.dispatch);
    } else {
      const why = `worker ${slot.child.pid} ${signal ? `was killed (${signal})` : `exited with code ${code}`}`;
      const last = slot.stderr.filter((l) => l.trim()).pop();
      const error = last ? `${why}: ${last}` : why;
      const status = signal || stopped !== 'done' ? 'interrupted' : 'failed';
      const runId = slot.runId ?? recorded.runId;
      if (runId !== null) await interruptRun(db, runId, error);
      await endJob(db, sweepId, job.idx, { status, runId, error });
      report({ idx: job.idx, status, runId, error, metrics: {}, seconds }, slot.dispatch);
      if (status === 'failed' && opts.failFast) stop('fail-fast');
    }
    if (job && queue.length + paused.size > 0 && stopped === 'done') spawn();
    if (slots.size === 0) settle();
    else wakeIdle();
  };

  const spawn = () => {
    const child = forkModule('worker', [db.path, String(sweepId)], ['ignore', 'ignore', 'pipe', 'ipc']);
    const slot: Slot = { child, ready: false, job: null, dispatch: 0, choosing: false, runId: null, started: Date.now(), stderr: [] };
    slots.add(slot);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      slot.stderr.push(...d.split('\n'));
      slot.stderr.splice(0, Math.max(0, slot.stderr.length - 20)); // the last lines explain a crash
    });
    child.on('message', (m: FromWorker) => onMessage(slot, m));
    child.on('exit', (code, signal) => void onExit(slot, code, signal));
  };

  const n = Math.max(1, Math.min(opts.workers, queue.length + paused.size));
  if (queue.length + paused.size === 0 || stopped !== 'done') return { outcomes, stopped };
  for (let i = 0; i < n; i++) spawn();
  await finished;
  if (startupError && outcomes.length === 0) throw new Error(`sweep workers failed to start: ${startupError}`);
  return { outcomes, stopped };
}
