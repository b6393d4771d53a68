// A sweep worker process (forked by local.ts): takes jobs over IPC one at a time, claims each in
// the store, trains it with train() into the shared SQLite store (a new run linked to the job in
// the same transaction, or the job's run continued from its checkpoint), keeps the job's heartbeat,
// asks the launcher at each scheduler rung whether to go on, and reports the outcome. It never
// decides what to run. Ctrl-C, SIGTERM, an `abort` message or losing the launcher ends the current
// job as interrupted (with a checkpoint), and then the worker exits.
import { composeConfig } from '../config/index.js';
import { Db } from '../store/db.js';
import { claimJob, endJob, jobHeartbeat, linkJobRun, type JobStatus } from '../store/sweeps.js';
import { prepareResume } from '../train/resume.js';
import { train, type Prune } from '../train/run.js';
import { isUserError } from '../util/errors.js';
import { HEARTBEAT_MS } from '../util/time.js';
import type { FromWorker, ToWorker } from './local.js';
import { makeScheduler, rungValue, schedulerSettings } from './scheduler.js';

const [dbPath, sweepIdText] = process.argv.slice(2);
const sweepId = Number(sweepIdText);

let current: AbortController | null = null;
let quitting = false;
let db: Db | null = null;
/** The launcher's answer to the rung question in flight (at most one: one job at a time). */
let decide: ((reason: string | null) => void) | null = null;

const send = (m: FromWorker) =>
  new Promise<void>((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });

async function shutdown(code = 0): Promise<never> {
  await db?.close().catch(() => undefined);
  process.exit(code);
}

function stop(): void {
  quitting = true;
  decide?.(null); // the run goes on only to see the abort and stop with a checkpoint
  if (current) current.abort();
  else void shutdown();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.on('disconnect', stop);
if (!process.connected) stop(); // the launcher was gone before this module finished loading

async function runJob(m: Extract<ToWorker, { type: 'job' }>): Promise<void> {
  const { idx } = m;
  const started = Date.now();
  const controller = new AbortController();
  current = controller;
  let runId: number | null = m.resume ?? null;
  let status: Exclude<JobStatus, 'queued' | 'running'> = 'failed';
  let error: string | null = null;
  let userError = false;
  let metrics: Record<string, number> = {};
  let prune: Prune | null = null;
  if (!(await claimJob(db!, sweepId, idx, process.pid))) {
    current = null;
    await send({ type: 'done', idx, status: 'taken', runId, error: 'taken by another launcher', userError, metrics, seconds: 0, prune });
    return;
  }
  const beat = setInterval(() => void jobHeartbeat(db!, sweepId, idx).catch(() => undefined), HEARTBEAT_MS);
  try {
    const resume = m.resume === undefined ? undefined : await prepareResume(db!, m.resume, { force: m.force, warn: (l) => process.stderr.write(`${l}\n`) });
    const resolved = resume?.resolved ?? composeConfig({ overrides: m.overrides });
    const rungs = new Set(makeScheduler(schedulerSettings(resolved.config)).rungs(resolved.config.train.steps));
    const r = await train({
      resolved,
      resume,
      db: db!,
      signal: controller.signal,
      linkRun: (id) => linkJobRun(db!, sweepId, idx, id),
      onRunCreated: async (id) => {
        runId = id;
        await send({ type: 'started', idx, runId: id });
      },
      review: async (e) => {
        if (!rungs.has(e.step) || controller.signal.aborted) return null;
        const reason = await new Promise<string | null>((resolve) => {
          decide = resolve;
          void send({ type: 'rung', idx, step: e.step, ...rungValue(e.mainMetric, e.metrics) });
        });
        decide = null;
        return reason === null ? null : { rung: e.step, reason };
      },
    });
    ({ status, error, metrics, prune } = r);
  } catch (e) {
    error = ((e as Error).message ?? String(e)).split('\n')[0]!;
    userError = isUserError(e);
  } finally {
    clearInterval(beat);
  }
  await endJob(db!, sweepId, idx, { status, runId, error });
  current = null;
  await send({ type: 'done', idx, status, runId, error, userError, metrics, seconds: (Date.now() - started) / 1000, prune });
}

db = await Db.open(dbPath!);
process.on('message', (m: ToWorker) => {
  if (m.type === 'exit') void shutdown();
  else if (m.type === 'decision') decide?.(m.reason);
  else if (m.type === 'job' && !quitting) {
    runJob(m)
      .then(() => (quitting ? shutdown() : undefined))
      .catch(async (e) => {
        process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
        await shutdown(1);
      });
  }
});
if (quitting) await shutdown();
await send({ type: 'ready' });
