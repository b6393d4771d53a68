// `train`: one run from a resolved config to a finished row in the store. It builds the trainer,
// steps it, evaluates every `train.eval_every` steps (and at step 0 and the end), logs metrics,
// writes heartbeats, and always leaves the run in a final state: finished, diverged (NaN/Inf
// loss), interrupted (abort signal) or failed (an error, which is rethrown).
import { configHash, type ResolvedConfig } from '../config/index.js';
import type { Db } from '../store/db.js';
import { createRun, describeRun, finishRun, heartbeat, logMetrics, type RunStatus } from '../store/runs.js';
import type { Task } from '../tasks/task.js';
import { provenance } from './provenance.js';
import { createTrainer } from './trainer.js';
import { kernelInUse } from '../kernels/index.js';
import { median } from '../util/median.js';
import { HEARTBEAT_MS } from '../util/time.js';

export interface TrainEvents {
  onStart?(e: { runId: number; backend: string; engine: string; params: number; steps: number; taskInfo: Record<string, unknown> }): void;
  onStep?(e: { step: number; loss: number; stepsPerSec: number }): void;
  onEval?(e: { step: number; metrics: Record<string, number> }): void;
}

export interface TrainResult {
  runId: number;
  status: Exclude<RunStatus, 'running'>;
  step: number;
  metrics: Record<string, number>;
  divergedStep: number | null;
  error: string | null;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

export async function train(opts: {
  resolved: ResolvedConfig;
  db: Db;
  events?: TrainEvents;
  signal?: AbortSignal;
  cacheDir?: string;
  /** Called with the new run's id before anything else can fail (sweeps link jobs to runs). */
  onRunCreated?: (runId: number) => Promise<void> | void;
}): Promise<TrainResult> {
  const { resolved, db, events = {}, signal } = opts;
  const cfg = resolved.config;
  const prov = provenance();
  const runId = await createRun(db, {
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
  });
  await opts.onRunCreated?.(runId);

  let step = 0;
  let last: Record<string, number> = {};
  const done = async (status: TrainResult['status'], extra: { error?: string; divergedStep?: number; details?: unknown } = {}) => {
    await finishRun(db, runId, { status, step, divergedStep: extra.divergedStep, error: extra.error, details: extra.details });
    return { runId, status, step, metrics: last, divergedStep: extra.divergedStep ?? null, error: extra.error ?? null };
  };

  let trainer: Awaited<ReturnType<typeof createTrainer>> | undefined;
  try {
    trainer = await createTrainer({ cfg, cacheDir: opts.cacheDir });
    const { task, model } = trainer;
    // Stored with the task's facts: what ranks the run and what it is compared with, so that
    // listings and reports read them from the store alone.
    const taskInfo = { ...task.info, main_metric: task.mainMetric, baseline: task.baseline ?? null };
    await describeRun(db, runId, { backend: trainer.backend, engine: model.engine, kernel: kernelInUse(model.engine), taskInfo, params: model.paramCount });
    events.onStart?.({ runId, backend: trainer.backend, engine: model.engine, params: model.paramCount, steps: cfg.train.steps, taskInfo });

    let losses: number[] = [];
    let times: number[] = [];
    const evaluate = async () => {
      const metrics: Record<string, number> = { ...trainer!.evaluate() };
      if (losses.length) metrics['train_loss'] = losses.reduce((a, b) => a + b, 0) / losses.length;
      if (times.length) {
        metrics['ms_per_step'] = median(times)!;
        metrics['steps_per_sec'] = 1000 / metrics['ms_per_step'];
      }
      losses = [];
      times = [];
      last = metrics;
      await logMetrics(db, runId, step, metrics);
      events.onEval?.({ step, metrics });
      return metrics;
    };
    const reached = (m: Record<string, number>) => {
      const target = cfg.train.target;
      const v = m[task.mainMetric.name];
      if (target === null || v === undefined) return false;
      return task.mainMetric.goal === 'min' ? v <= target : v >= target;
    };

    if (reached(await evaluate())) return await done('finished', { details: task.details?.(trainer.predict) });
    let lastBeat = Date.now();
    const t0 = Date.now();
    while (step < cfg.train.steps) {
      if (signal?.aborted) return await done('interrupted');
      const s = performance.now();
      const loss = trainer.step();
      times.push(performance.now() - s);
      step++;
      if (!Number.isFinite(loss)) {
        last = { train_loss: loss };
        await logMetrics(db, runId, step, { train_loss: loss });
        return await done('diverged', { divergedStep: step, error: `loss became ${loss} at step ${step}` });
      }
      losses.push(loss);
      events.onStep?.({ step, loss, stepsPerSec: (step * 1000) / Math.max(1, Date.now() - t0) });
      if (step % cfg.train.eval_every === 0 || step === cfg.train.steps) {
        if (reached(await evaluate())) break;
        lastBeat = Date.now(); // logging metrics also wrote the heartbeat
      } else if (Date.now() - lastBeat > HEARTBEAT_MS) {
        await heartbeat(db, runId, step);
        lastBeat = Date.now();
      }
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
