// `train`: one run from a resolved config (or a checkpoint to continue from) to a final row in the
// store. It builds the trainer first (a bad task parameter or data file fails before the store hears
// of the run), claims the run (a new row, or the resumed one: one writer per run), steps it,
// evaluates every `train.eval_every` steps (and at step 0 and the end), logs metrics, writes
// heartbeats and checkpoints, lets a sweep scheduler stop it at an evaluation, and always leaves the
// run in a final state: finished (its last step, or a stop rule: stopping.ts), diverged (NaN/Inf or
// exploded loss), interrupted (abort signal), pruned (stopped by the scheduler) or failed (an error,
// rethrown). A process that lost its claim stops without writing.
import { configHash, type Config, type ResolvedConfig } from '../config/index.js';
import type { Db } from '../store/db.js';
import { logDiagnostics } from '../store/diagnostics.js';
import {
  checkClaim, ClaimLost, describeRun, finishRun, heartbeat, logMetrics, recordCheckpoint, resumeRun, startRun, storeId,
  type RunClaim, type RunStatus,
} from '../store/runs.js';
import type { Task } from '../tasks/task.js';
import { checkpointDir, removeCheckpoints, writeCheckpoint } from './checkpoint-file.js';
import type { TrainerMeta } from './checkpoint.js';
import { provenance } from './provenance.js';
import { createProbe, diagnosticsOn } from './diagnostics.js';
import type { CheckpointFacts, ResumePlan } from './resume.js';
import { earlyStop, exploded, stopSettings, type SelectHistory } from './stopping.js';
import { createTrainer, type Trainer } from './trainer.js';
import { kernelInUse } from '../kernels/index.js';
import { median } from '../util/median.js';
import { HEARTBEAT_MS } from '../util/time.js';

export interface TrainEvents {
  /** `step` is where training starts: 0, or the checkpoint's step when resuming. */
  onStart?(e: { runId: number; backend: string; engine: string; params: number; step: number; steps: number; taskInfo: Record<string, unknown> }): void;
  onStep?(e: { step: number; loss: number; stepsPerSec: number }): void;
  onEval?(e: { step: number; metrics: Record<string, number> }): void;
  onCheckpoint?(e: { step: number; path: string; bytes: number; ms: number }): void;
}

/** A sweep scheduler's say after an evaluation: null goes on, a prune stops the run here. */
export type Review = (e: { step: number; metrics: Record<string, number>; mainMetric: Task['mainMetric'] }) => Promise<Prune | null> | Prune | null;
export interface Prune {
  rung: number;
  reason: string;
}

export interface TrainResult {
  runId: number;
  status: Exclude<RunStatus, 'running'>;
  step: number;
  metrics: Record<string, number>;
  divergedStep: number | null;
  error: string | null;
  prune: Prune | null;
  /** Why a finished run stopped before its last step (null: it ran them all). */
  stopReason: string | null;
}

/** The loop's own state that a checkpoint carries beside the trainer's: the training losses and
 *  step times since the last evaluation (train_loss and ms_per_step average over them), that
 *  evaluation's metrics, the CPU seconds the run had spent by then (a resumed run goes on counting
 *  from there), the validation metric at every evaluation and the first training loss (what the
 *  stop and explosion rules compare with). */
interface LoopState {
  losses: number[];
  times: number[];
  last: Record<string, number>;
  cpu?: number;
  select?: SelectHistory;
  firstLoss?: number | null;
}

/** Metrics that time the machine rather than the run: never identical between two runs, so a
 *  resumed run matches its uninterrupted twin on every other metric row. */
export const TIMING_METRICS: readonly string[] = ['ms_per_step', 'steps_per_sec', 'cpu_seconds'];
const tick = () => new Promise<void>((r) => setImmediate(r));

export interface TrainOptions {
  resolved: ResolvedConfig;
  db: Db;
  events?: TrainEvents;
  signal?: AbortSignal;
  cacheDir?: string;
  /** Runs inside the transaction that creates the run (a sweep job links itself to it there). */
  linkRun?: (runId: number) => Promise<void>;
  /** Called with the run's id before anything else can fail. */
  onRunCreated?: (runId: number) => Promise<void> | void;
  /** Continue this run from its checkpoint (see resume.ts) instead of creating a new run. */
  resume?: ResumePlan;
  review?: Review;
}

/** Creates the run, or takes the resumed one, under this process's claim. */
async function claimRun(o: TrainOptions, cfg: Config): Promise<RunClaim> {
  const { db, resume } = o;
  const prov = provenance();
  if (resume) {
    const step = resume.checkpoint.content.meta.step;
    return resumeRun(db, resume.runId, {
      step,
      pid: process.pid,
      host: prov.host,
      resume: { at: new Date().toISOString(), step, code: resume.code, checkpointCode: resume.checkpointCode, forced: resume.forced, git: prov.git, host: prov.host },
    });
  }
  const { resolved } = o;
  return startRun(
    db,
    {
      task: resolved.choices['task'] ?? cfg.task.name,
      model: resolved.choices['model'] ?? cfg.model.name,
      seed: cfg.seed,
      config: cfg,
      configHash: configHash(cfg),
      overrides: resolved.overrides,
      steps: cfg.train.steps,
      git: prov.git,
      versions: prov.versions,
      host: prov.host,
      pid: process.pid,
    },
    o.linkRun,
  );
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const resolved = opts.resume?.resolved ?? opts.resolved;
  const cfg = resolved.config;
  // Built before the run exists: the task's parameters and data are checked here, so a mistake
  // (task.seq_len=0, a missing file) leaves nothing in the store.
  const trainer = await createTrainer({ cfg, cacheDir: opts.cacheDir });
  let claim: RunClaim;
  try {
    claim = await claimRun(opts, cfg);
  } catch (e) {
    trainer.dispose();
    throw e;
  }
  try {
    await opts.onRunCreated?.(claim.id);
    return await new RunLoop(opts, cfg, trainer, claim, await storeId(opts.db)).run();
  } finally {
    trainer.dispose();
  }
}

/** One claimed run being trained: its steps, evaluations, checkpoints and final record. */
class RunLoop {
  private readonly db: Db;
  private readonly events: TrainEvents;
  private readonly ckDir: string | null;
  private readonly stop: ReturnType<typeof stopSettings>;
  private readonly saved: ResumePlan['checkpoint']['content'] | undefined;
  private readonly loop: LoopState;
  private step: number;
  private savedStep: number;
  private cpu0 = process.cpuUsage();
  private cpuBefore: number;
  private probe: ReturnType<typeof createProbe> | null = null;

  constructor(
    private readonly o: TrainOptions,
    private readonly cfg: Config,
    private readonly trainer: Trainer,
    private readonly claim: RunClaim,
    private readonly storeId: string | null,
  ) {
    this.db = o.db;
    this.events = o.events ?? {};
    this.saved = o.resume?.checkpoint.content;
    this.step = this.saved?.meta.step ?? 0;
    this.savedStep = this.saved ? this.step : -1;
    this.loop = { losses: [], times: [], last: {}, ...((this.saved?.meta['run'] as LoopState | undefined) ?? {}) };
    this.loop.select ??= [];
    this.cpuBefore = this.loop.cpu ?? 0;
    this.ckDir = checkpointDir(this.db.path, claim);
    this.stop = stopSettings(cfg.train);
  }

  private get task(): Task {
    return this.trainer.task;
  }

  async run(): Promise<TrainResult> {
    try {
      await this.prepare();
      return await this.steps();
    } catch (e) {
      // A process that lost its claim writes nothing more: the run is another's now.
      if (!(e instanceof ClaimLost)) await this.done('failed', { error: (e as Error).message ?? String(e) }).catch(() => undefined);
      throw e;
    }
  }

  /** Restores a checkpoint, records what the run is, and builds the diagnostics probe. */
  private async prepare(): Promise<void> {
    const { trainer, task, saved } = this;
    if (saved) await trainer.loadState({ meta: saved.meta['trainer'] as TrainerMeta, tensors: saved.tensors });
    // Stored with the task's facts: what ranks the run and what it is compared with, so that
    // listings and reports read them from the store alone.
    const taskInfo = { ...task.info, main_metric: task.mainMetric, baseline: task.baseline ?? null };
    const { model } = trainer;
    await describeRun(this.db, this.claim.id, { backend: trainer.backend, engine: model.engine, kernel: kernelInUse(model.engine), taskInfo, params: model.paramCount }, this.claim.token);
    this.events.onStart?.({ runId: this.claim.id, backend: trainer.backend, engine: model.engine, params: model.paramCount, step: this.step, steps: this.cfg.train.steps, taskInfo });
    // Gradient-flow diagnostics (train.diagnostics): measured on a fixed probe batch with every evaluation.
    this.probe = diagnosticsOn(this.cfg.train) ? createProbe({ task, model, batchSize: this.cfg.train.batch_size }) : null;
    this.cpu0 = process.cpuUsage();
  }

  /** The training loop: a step, then (at evaluation steps) the metrics, the stop rules and the
   *  scheduler's review, and checkpoints every `train.checkpoint_every` steps. */
  private async steps(): Promise<TrainResult> {
    const { cfg, loop, o } = this;
    // A resumed run's evaluation at its checkpoint step is already in the store.
    if (!this.saved) {
      const end = this.afterEvaluation(await this.evaluate());
      if (end) return end;
    }
    let lastBeat = Date.now();
    const t0 = Date.now();
    const startStep = this.step;
    while (this.step < cfg.train.steps) {
      if (o.signal?.aborted) {
        await this.checkpoint();
        return this.done('interrupted');
      }
      const s = performance.now();
      const loss = this.trainer.step();
      loop.times.push(performance.now() - s);
      this.step++;
      const blown = !Number.isFinite(loss) ? `loss became ${loss}` : exploded(loss, loop.firstLoss ?? null, this.stop.divergeFactor, 'the training loss');
      if (blown) {
        loop.last = { train_loss: loss };
        await logMetrics(this.db, this.claim.id, this.step, { train_loss: loss }, this.claim.token);
        return this.done('diverged', { divergedStep: this.step, error: `${blown} at step ${this.step}` });
      }
      loop.firstLoss ??= loss;
      loop.losses.push(loss);
      this.events.onStep?.({ step: this.step, loss, stepsPerSec: ((this.step - startStep) * 1000) / Math.max(1, Date.now() - t0) });
      if (this.step % cfg.train.eval_every === 0 || this.step === cfg.train.steps) {
        const metrics = await this.evaluate();
        const end = this.afterEvaluation(metrics);
        if (end) return end;
        const prune = this.step < cfg.train.steps ? await o.review?.({ step: this.step, metrics, mainMetric: this.task.mainMetric }) : null;
        if (prune) {
          await this.checkpoint(); // a promoted run continues from here
          return this.done('pruned', { prune });
        }
        lastBeat = Date.now(); // logging metrics also wrote the heartbeat
      } else if (Date.now() - lastBeat > HEARTBEAT_MS) {
        await heartbeat(this.db, this.claim.id, this.step, this.claim.token);
        lastBeat = Date.now();
      }
      const every = cfg.train.checkpoint_every ?? null;
      if (every !== null && this.step % every === 0 && this.step < cfg.train.steps) await this.checkpoint();
      await tick(); // lets signals, progress output and other I/O through between steps
    }
    return this.done('finished', { details: this.task.details?.(this.trainer.predict) });
  }

  /** After an evaluation: a final result when the validation metric exploded or a stop rule
   *  says the run is done, else null (go on). */
  private afterEvaluation(metrics: Record<string, number>): Promise<TrainResult> | null {
    const { select, goal } = this.task.mainMetric;
    const v = metrics[select];
    if (v === undefined) return null;
    const h = this.loop.select!;
    const first = h[0]?.[1] ?? null;
    h.push([this.step, v]);
    // Only a loss-like metric (lower is better) explodes; an accuracy is bounded.
    const blown = goal === 'min' && h.length > 1 ? exploded(v, first, this.stop.divergeFactor, select) : null;
    if (blown) return this.done('diverged', { divergedStep: this.step, error: `${blown} at step ${this.step}` });
    const why = earlyStop(h, this.task.mainMetric, this.stop, this.step);
    if (why === null) return null;
    return this.done('finished', { details: this.task.details?.(this.trainer.predict), stopReason: why });
  }

  private async evaluate(): Promise<Record<string, number>> {
    const { loop } = this;
    const metrics: Record<string, number> = { ...this.trainer.evaluate() };
    if (loop.losses.length) metrics['train_loss'] = loop.losses.reduce((a, b) => a + b, 0) / loop.losses.length;
    if (loop.times.length) {
      metrics['ms_per_step'] = median(loop.times)!;
      metrics['steps_per_sec'] = 1000 / metrics['ms_per_step'];
    }
    // CPU time of the run (user + system, every thread of this process, plus what the processes
    // before a resume spent): the compute a result took, which wall time overstates on a shared
    // machine. A sweep worker runs one job at a time.
    const cpu = process.cpuUsage(this.cpu0);
    metrics['cpu_seconds'] = this.cpuBefore + (cpu.user + cpu.system) / 1e6;
    loop.cpu = metrics['cpu_seconds'];
    loop.losses = [];
    loop.times = [];
    loop.last = metrics;
    await logMetrics(this.db, this.claim.id, this.step, metrics, this.claim.token);
    if (this.probe) await logDiagnostics(this.db, this.claim.id, this.step, this.probe.measure());
    this.events.onEval?.({ step: this.step, metrics });
    return metrics;
  }

  /** Writes a checkpoint of this step (once) after its evaluation, if the store has a folder. The
   *  claim is checked first: a process that lost the run never writes into its folder. */
  private async checkpoint(): Promise<void> {
    if (this.ckDir === null || this.step === this.savedStep) return;
    await checkClaim(this.db, this.claim);
    const t0 = performance.now();
    const snap = await this.trainer.saveState();
    const facts: CheckpointFacts = { step: this.step, runId: this.claim.id, runUid: this.claim.uid, storeId: this.storeId, code: provenance().code, configHash: configHash(this.cfg) };
    const meta = { ...facts, createdAt: new Date().toISOString(), trainer: snap.meta, run: this.loop };
    const { path, bytes } = writeCheckpoint(this.ckDir, { meta, tensors: snap.tensors }, this.cfg.train.checkpoint_keep ?? 2);
    await recordCheckpoint(this.db, this.claim.id, { path, step: this.step }, this.claim.token);
    this.savedStep = this.step;
    this.events.onCheckpoint?.({ step: this.step, path, bytes, ms: performance.now() - t0 });
  }

  private async done(
    status: TrainResult['status'],
    extra: { error?: string; divergedStep?: number; details?: unknown; prune?: Prune; stopReason?: string } = {},
  ): Promise<TrainResult> {
    const { db, claim, step } = this;
    if (status === 'finished' || status === 'diverged') {
      await checkClaim(db, claim);
      removeCheckpoints(this.ckDir); // nothing is left to resume
      await recordCheckpoint(db, claim.id, null, claim.token);
    }
    await finishRun(db, claim.id, { status, step, divergedStep: extra.divergedStep, error: extra.error, details: extra.details, prune: extra.prune, stopReason: extra.stopReason }, claim.token);
    const { divergedStep = null, error = null, prune = null, stopReason = null } = extra;
    return { runId: claim.id, status, step, metrics: this.loop.last, divergedStep, error, prune, stopReason };
  }
}
