// `train`: one run from a resolved config (or a checkpoint to continue from) to a final row in the
// store. It builds the trainer, steps it, evaluates every `train.eval_every` steps (and at step 0 and
// the end), logs metrics, writes heartbeats and checkpoints, lets a sweep scheduler stop it at an
// evaluation, and always leaves the run in a final state: finished, diverged (NaN/Inf loss),
// interrupted (abort signal), pruned (stopped by the scheduler) or failed (an error, rethrown).
import { configHash, type ResolvedConfig } from '../config/index.js';
import type { Db } from '../store/db.js';
import { logDiagnostics } from '../store/diagnostics.js';
import { createRun, describeRun, finishRun, heartbeat, logMetrics, recordCheckpoint, resumeRun, type RunStatus } from '../store/runs.js';
import type { Task } from '../tasks/task.js';
import { checkpointDir, removeCheckpoints, writeCheckpoint } from './checkpoint-file.js';
import type { TrainerMeta } from './checkpoint.js';
import { provenance } from './provenance.js';
import { createProbe, diagnosticsOn } from './diagnostics.js';
import type { CheckpointFacts, ResumePlan } from './resume.js';
import { createTrainer } from './trainer.js';
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
}

/** The loop's own state that a checkpoint carries beside the trainer's: the training losses and
 *  step times since the last evaluation (train_loss and ms_per_step average over them), that
 *  evaluation's metrics, and the CPU seconds the run had spent by then (a resumed run goes on
 *  counting from there). */
interface LoopState {
  losses: number[];
  times: number[];
  last: Record<string, number>;
  cpu?: number;
}

/** Metrics that time the machine rather than the run: never identical between two runs, so a
 *  resumed run matches its uninterrupted twin on every other metric row. */
export const TIMING_METRICS: readonly string[] = ['ms_per_step', 'steps_per_sec', 'cpu_seconds'];
const tick = () => new Promise<void>((r) => setImmediate(r));

export async function train(opts: {
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
}): Promise<TrainResult> {
  const { db, events = {}, signal, resume } = opts;
  const resolved = resume?.resolved ?? opts.resolved;
  const cfg = resolved.config;
  const prov = provenance();
  const saved = resume?.checkpoint.content;
  const startStep = saved?.meta.step ?? 0;
  let runId: number;
  if (resume) {
    runId = resume.runId;
    await resumeRun(db, runId, {
      step: startStep,
      pid: process.pid,
      host: prov.host,
      resume: { at: new Date().toISOString(), step: startStep, code: resume.code, checkpointCode: resume.checkpointCode, forced: resume.forced },
    });
  } else {
    runId = await createRun(
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
      opts.linkRun,
    );
  }
  await opts.onRunCreated?.(runId);

  const ckDir = checkpointDir(db.path, runId);
  const every = cfg.train.checkpoint_every ?? null;
  let step = startStep;
  let savedStep = saved ? startStep : -1;
  const loop: LoopState = (saved?.meta['run'] as LoopState | undefined) ?? { losses: [], times: [], last: {} };
  const done = async (status: TrainResult['status'], extra: { error?: string; divergedStep?: number; details?: unknown; prune?: Prune } = {}) => {
    if (status === 'finished' || status === 'diverged') {
      removeCheckpoints(ckDir); // nothing is left to resume
      await recordCheckpoint(db, runId, null);
    }
    await finishRun(db, runId, { status, step, divergedStep: extra.divergedStep, error: extra.error, details: extra.details, prune: extra.prune });
    const { divergedStep = null, error = null, prune = null } = extra;
    return { runId, status, step, metrics: loop.last, divergedStep, error, prune };
  };

  let trainer: Awaited<ReturnType<typeof createTrainer>> | undefined;
  try {
    trainer = await createTrainer({ cfg, cacheDir: opts.cacheDir });
    const { task, model } = trainer;
    if (saved) await trainer.loadState({ meta: saved.meta['trainer'] as TrainerMeta, tensors: saved.tensors });
    // Stored with the task's facts: what ranks the run and what it is compared with, so that
    // listings and reports read them from the store alone.
    const taskInfo = { ...task.info, main_metric: task.mainMetric, baseline: task.baseline ?? null };
    await describeRun(db, runId, { backend: trainer.backend, engine: model.engine, kernel: kernelInUse(model.engine), taskInfo, params: model.paramCount });
    events.onStart?.({ runId, backend: trainer.backend, engine: model.engine, params: model.paramCount, step, steps: cfg.train.steps, taskInfo });

    // Gradient-flow diagnostics (train.diagnostics): measured on a fixed probe batch with every evaluation.
    const probe = diagnosticsOn(cfg.train) ? createProbe({ task, model, batchSize: cfg.train.batch_size }) : null;
    // CPU time of the run (user + system, every thread of this process, plus what the processes
    // before a resume spent): the compute a result took, which wall time overstates on a shared
    // machine. A sweep worker runs one job at a time.
    const cpu0 = process.cpuUsage();
    const cpuBefore = loop.cpu ?? 0;
    /** Writes a checkpoint of this step (once) after its evaluation, if the store has a folder. */
    const checkpoint = async () => {
      if (ckDir === null || step === savedStep) return;
      const t0 = performance.now();
      const snap = await trainer!.saveState();
      const facts: CheckpointFacts = { step, runId, code: prov.code, configHash: configHash(cfg) };
      const meta = { ...facts, createdAt: new Date().toISOString(), trainer: snap.meta, run: loop };
      const { path, bytes } = writeCheckpoint(ckDir, { meta, tensors: snap.tensors }, cfg.train.checkpoint_keep ?? 2);
      await recordCheckpoint(db, runId, { path, step });
      savedStep = step;
      events.onCheckpoint?.({ step, path, bytes, ms: performance.now() - t0 });
    };
    const evaluate = async () => {
      const metrics: Record<string, number> = { ...trainer!.evaluate() };
      if (loop.losses.length) metrics['train_loss'] = loop.losses.reduce((a, b) => a + b, 0) / loop.losses.length;
      if (loop.times.length) {
        metrics['ms_per_step'] = median(loop.times)!;
        metrics['steps_per_sec'] = 1000 / metrics['ms_per_step'];
      }
      const cpu = process.cpuUsage(cpu0);
      metrics['cpu_seconds'] = cpuBefore + (cpu.user + cpu.system) / 1e6;
      loop.cpu = metrics['cpu_seconds'];
      loop.losses = [];
      loop.times = [];
      loop.last = metrics;
      await logMetrics(db, runId, step, metrics);
      if (probe) await logDiagnostics(db, runId, step, probe.measure());
      events.onEval?.({ step, metrics });
      return metrics;
    };
    // The target is checked on the validation metric, never on the test set.
    const reached = (m: Record<string, number>) => {
      const target = cfg.train.target;
      const v = m[task.mainMetric.select];
      if (target === null || v === undefined) return false;
      return task.mainMetric.goal === 'min' ? v <= target : v >= target;
    };

    // A resumed run's evaluation at its checkpoint step is already in the store.
    if (!saved && reached(await evaluate())) return await done('finished', { details: task.details?.(trainer.predict) });
    let lastBeat = Date.now();
    const t0 = Date.now();
    while (step < cfg.train.steps) {
      if (signal?.aborted) {
        await checkpoint();
        return await done('interrupted');
      }
      const s = performance.now();
      const loss = trainer.step();
      loop.times.push(performance.now() - s);
      step++;
      if (!Number.isFinite(loss)) {
        loop.last = { train_loss: loss };
        await logMetrics(db, runId, step, { train_loss: loss });
        return await done('diverged', { divergedStep: step, error: `loss became ${loss} at step ${step}` });
      }
      loop.losses.push(loss);
      events.onStep?.({ step, loss, stepsPerSec: ((step - startStep) * 1000) / Math.max(1, Date.now() - t0) });
      if (step % cfg.train.eval_every === 0 || step === cfg.train.steps) {
        const metrics = await evaluate();
        if (reached(metrics)) break;
        const prune = step < cfg.train.steps ? await opts.review?.({ step, metrics, mainMetric: task.mainMetric }) : null;
        if (prune) {
          await checkpoint(); // a promoted run continues from here
          return await done('pruned', { prune });
        }
        lastBeat = Date.now(); // logging metrics also wrote the heartbeat
      } else if (Date.now() - lastBeat > HEARTBEAT_MS) {
        await heartbeat(db, runId, step);
        lastBeat = Date.now();
      }
      if (every !== null && step % every === 0 && step < cfg.train.steps) await checkpoint();
      await tick(); // lets signals, progress output and other I/O through between steps
    }
    return await done('finished', { details: task.details?.(trainer.predict) });
  } catch (e) {
    await done('failed', { error: (e as Error).message ?? String(e) });
    throw e;
  } finally {
    trainer?.dispose();
  }
}
