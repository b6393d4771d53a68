// The local launcher: a pool of N worker processes (worker.ts) on this machine, each running one
// job at a time, all writing to the one SQLite store. It hands out jobs (a paused job the scheduler
// promotes first, then the queue), skips those whose config already has a finished run, answers
// the workers' rung questions through the scheduler, replaces a worker that dies, stops on abort
// (Ctrl-C) or a failure with fail-fast, and reports every outcome as it happens. Each worker's slot
// moves through explicit states (SlotState below), so a worker holds at most one job. It plans
// nothing (see plan.ts).
import type { ChildProcess } from 'node:child_process';
import type { Db } from '../store/db.js';
import { findFinished, releaseStaleRun, type SameCode } from '../store/runs.js';
import { endJob, getJob, requeueJob, skipJob, type JobStatus } from '../store/sweeps.js';
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


/** Where a worker stands with the launcher. Its slot moves
 *    starting --ready--> choosing --a job handed out--> busy --done--> choosing
 *    choosing --nothing to hand out now, a promotion may come--> idle --woken--> choosing
 *    choosing --nothing left, or the launch stopped--> exiting
 *  and leaves the pool when its process exits (from any state). Only an `idle` slot is woken: a
 *  `choosing` one may be waiting on the store for a job it holds already. */
type SlotState = 'starting' | 'choosing' | 'idle' | 'busy' | 'exiting';

interface Slot {
  child: ChildProcess;
  state: SlotState;
  /** The job in hand: being chosen (held while the store is asked) or running. */
  job: LaunchJob | null;
  /** Which hand-out of a job this is (a job paused and promoted is handed out again). */
  dispatch: number;
  runId: number | null;
  started: number;
  stderr: string[];
}

export interface LocalLaunchOptions {
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
}

type Stop = 'done' | 'fail-fast' | 'interrupted';

class LocalLaunch {
  private readonly queue: LaunchJob[];
  private readonly paused: Map<number, LaunchJob>;
  /** Every job of this launch by index (a pruned job is paused again from here). */
  private readonly jobs: Map<number, LaunchJob>;
  private readonly slots = new Set<Slot>();
  private readonly outcomes: JobOutcome[] = [];
  private readonly reported = new Set<number>();
  private dispatches = 0;
  private stopped: Stop = 'done';
  private startupError: string | null = null;
  private settle!: () => void;
  private readonly finished = new Promise<void>((r) => (this.settle = r));

  constructor(private readonly o: LocalLaunchOptions) {
    this.queue = [...o.jobs];
    this.paused = new Map((o.paused ?? []).map((j) => [j.idx, j]));
    this.jobs = new Map([...o.jobs, ...this.paused.values()].map((j) => [j.idx, j]));
  }

  private get events(): LaunchEvents {
    return this.o.events ?? {};
  }

  async run(): Promise<{ outcomes: JobOutcome[]; stopped: Stop }> {
    this.o.signal?.addEventListener('abort', () => this.stop('interrupted'), { once: true });
    if (this.o.signal?.aborted) this.stop('interrupted');
    const left = this.queue.length + this.paused.size;
    if (left === 0 || this.stopped !== 'done') return { outcomes: this.outcomes, stopped: this.stopped };
    for (let i = 0; i < Math.max(1, Math.min(this.o.workers, left)); i++) this.spawn();
    await this.finished;
    if (this.startupError && this.outcomes.length === 0) throw new Error(`sweep workers failed to start: ${this.startupError}`);
    return { outcomes: this.outcomes, stopped: this.stopped };
  }

  // ---- workers ----

  private spawn(): void {
    const child = forkModule('worker', [this.o.db.path, String(this.o.sweepId)], ['ignore', 'ignore', 'pipe', 'ipc']);
    const slot: Slot = { child, state: 'starting', job: null, dispatch: 0, runId: null, started: Date.now(), stderr: [] };
    this.slots.add(slot);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      slot.stderr.push(...d.split('\n'));
      slot.stderr.splice(0, Math.max(0, slot.stderr.length - 20)); // the last lines explain a crash
    });
    child.on('message', (m: FromWorker) => this.onMessage(slot, m));
    child.on('exit', (code, signal) => void this.onExit(slot, code, signal));
  }

  private send(slot: Slot, m: ToWorker): void {
    if (slot.child.connected) slot.child.send(m, (e) => e && slot.child.kill('SIGKILL'));
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'ready') {
      void this.handOut(slot);
    } else if (m.type === 'started') {
      slot.runId = m.runId;
    } else if (m.type === 'rung') {
      const reason = this.stopped === 'done' ? this.o.scheduler.atRung({ idx: m.idx, rung: m.step, metric: m.metric, value: m.value, goal: m.goal }) : null;
      this.send(slot, { type: 'decision', idx: m.idx, reason });
      if (reason === null) this.wakeIdle(); // the new score may make a paused job promotable
    } else if (m.type === 'done') {
      slot.job = null;
      slot.state = 'idle'; // free until handed its next job (a stop now tells it to exit)
      this.report({ idx: m.idx, status: m.status, runId: m.runId, error: m.error, metrics: m.metrics, seconds: m.seconds, prune: m.prune }, slot.dispatch);
      if (m.status === 'failed' && this.o.failFast) this.stop('fail-fast');
      void this.handOut(slot);
      this.wakeIdle();
    }
  }

  /** A worker that exits with a job in hand: its outcome message was lost, it never started the
   *  job (the job goes back to the queue), or it was killed or crashed mid-job. */
  private async onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const { db, sweepId } = this.o;
    const starting = slot.state === 'starting';
    this.slots.delete(slot);
    const job = slot.job;
    if (starting && !job) this.startupError ??= slot.stderr.join('\n').trim() || `exit code ${code ?? signal}`;
    const recorded = job ? await getJob(db, sweepId, job.idx) : undefined;
    const seconds = (Date.now() - slot.started) / 1000;
    if (!job || !recorded) {
      // nothing in hand
    } else if (recorded.status === 'queued') {
      if (this.stopped === 'done') this.queue.unshift(job);
    } else if (recorded.status !== 'running') {
      this.report({ idx: job.idx, status: recorded.status, runId: recorded.runId, error: recorded.error, metrics: {}, seconds }, slot.dispatch);
    } else {
      const why = `worker ${slot.child.pid} ${signal ? `was killed (${signal})` : `exited with code ${code}`}`;
      const last = slot.stderr.filter((l) => l.trim()).pop();
      const error = last ? `${why}: ${last}` : why;
      const status = signal || this.stopped !== 'done' ? 'interrupted' : 'failed';
      const runId = slot.runId ?? recorded.runId;
      if (runId !== null) await releaseStaleRun(db, runId, error); // its worker is gone
      await endJob(db, sweepId, job.idx, { status, runId, error });
      this.report({ idx: job.idx, status, runId, error, metrics: {}, seconds }, slot.dispatch);
      if (status === 'failed' && this.o.failFast) this.stop('fail-fast');
    }
    if (job && this.queue.length + this.paused.size > 0 && this.stopped === 'done') this.spawn();
    if (this.slots.size === 0) this.settle();
    else this.wakeIdle();
  }

  // ---- handing out jobs ----

  /** Chooses a worker's next job (its slot `choosing` meanwhile): a paused job the scheduler
   *  promotes, else the next queued one whose config no other worker is running (one config never
   *  trains twice at once), skipping jobs already done. Leaves the slot busy, idle or exiting. */
  private async handOut(slot: Slot): Promise<void> {
    if (slot.state === 'choosing' || slot.state === 'exiting') return;
    slot.state = 'choosing';
    while (this.stopped === 'done') {
      const promoted = await this.takePromoted(slot);
      if (promoted && this.stopped === 'done') return this.dispatch(slot, promoted);
      if (promoted) {
        slot.job = null; // stopped meanwhile: the job stays queued in the store
        break;
      }
      if (this.queue.length === 0) break;
      const job = this.takeQueued();
      if (!job) return void (slot.state = 'idle'); // every queued config is running: wait for one to end
      slot.job = job; // held while the store is asked
      const done = this.o.rerun || job.resume !== undefined ? undefined : await findFinished(this.o.db, job.configHash, this.o.only);
      if (this.stopped !== 'done') {
        slot.job = null; // stopped meanwhile: the job stays queued in the store
        break;
      }
      if (done === undefined) return this.dispatch(slot, job);
      await this.skip(job, done);
      slot.job = null;
    }
    // A job still running may report at a rung and make a paused job promotable: wait for it.
    const waitForPromotion = this.stopped === 'done' && this.o.scheduler.promotes && this.paused.size > 0 && [...this.slots].some((s) => s.job);
    if (waitForPromotion || (this.queue.length > 0 && this.stopped === 'done')) {
      slot.state = 'idle';
    } else {
      slot.state = 'exiting';
      this.send(slot, { type: 'exit' });
    }
  }

  /** A paused job the scheduler promotes now, back in the store's queue; null if none. */
  private async takePromoted(slot: Slot): Promise<LaunchJob | null> {
    for (;;) {
      const promoted = this.o.scheduler.promote();
      if (promoted === null) return null;
      const job = this.paused.get(promoted);
      if (!job) continue; // not paused here (its run ended otherwise)
      this.paused.delete(promoted);
      slot.job = job; // held while the store is updated
      await requeueJob(this.o.db, this.o.sweepId, job.idx, job.configHash);
      return job;
    }
  }

  /** The next queued job whose config no worker is running, taken off the queue; null if none. */
  private takeQueued(): LaunchJob | null {
    const busy = new Set([...this.slots].map((s) => s.job?.configHash));
    const i = this.queue.findIndex((j) => !busy.has(j.configHash));
    return i < 0 ? null : this.queue.splice(i, 1)[0]!;
  }

  /** A job whose config has a finished run: linked to it, and its scores count at the rungs. */
  private async skip(job: LaunchJob, runId: number): Promise<void> {
    await skipJob(this.o.db, this.o.sweepId, job.idx, runId);
    for (const s of (await this.o.scoresOf?.(job.idx, runId)) ?? []) this.o.scheduler.record(s, false);
    this.report({ idx: job.idx, status: 'skipped', runId, error: null, metrics: {}, seconds: 0 }, ++this.dispatches);
  }

  private dispatch(slot: Slot, job: LaunchJob): void {
    Object.assign(slot, { state: 'busy', job, runId: job.resume ?? null, started: Date.now(), dispatch: ++this.dispatches });
    this.send(slot, { type: 'job', idx: job.idx, overrides: job.overrides, resume: job.resume, force: this.o.force });
    this.events.onJobStart?.({ idx: job.idx, pid: slot.child.pid!, resumed: job.resume !== undefined });
  }

  private wakeIdle(): void {
    for (const s of this.slots) if (s.state === 'idle') void this.handOut(s);
  }

  // ---- outcomes and stopping ----

  private report(o: JobOutcome, dispatch: number): void {
    if (this.reported.has(dispatch)) return; // a worker's last message can arrive after its exit
    this.reported.add(dispatch);
    this.outcomes.push(o);
    if (o.status === 'pruned' && o.runId !== null) this.paused.set(o.idx, { ...this.jobs.get(o.idx)!, resume: o.runId });
    else this.o.scheduler.drop(o.idx); // told to pause but ended otherwise: nothing to promote
    this.events.onJobDone?.(o);
  }

  private stop(why: 'fail-fast' | 'interrupted'): void {
    if (this.stopped !== 'done') return;
    this.stopped = why;
    this.queue.length = 0;
    for (const s of this.slots) {
      if (s.state === 'busy') s.child.kill('SIGINT'); // the worker ends its job as interrupted, then exits
      else if (s.state !== 'choosing') {
        s.state = 'exiting';
        this.send(s, { type: 'exit' });
      }
    }
  }
}

export function launchLocal(opts: LocalLaunchOptions): Promise<{ outcomes: JobOutcome[]; stopped: Stop }> {
  return new LocalLaunch(opts).run();
}
