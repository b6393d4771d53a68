// A sweep worker process (forked by local.ts): takes jobs over IPC one at a time, claims each in
// the store, trains it with train() into the shared SQLite store, keeps the job's heartbeat, and
// reports the outcome. It never decides what to run. Ctrl-C, SIGTERM, an `abort` message or losing
// the launcher ends the current job as interrupted, and then the worker exits.
import { composeConfig } from '../config/index.js';
import { Db } from '../store/db.js';
import { claimJob, endJob, jobHeartbeat, linkJobRun, type JobStatus } from '../store/sweeps.js';
import { train } from '../train/run.js';
import { isUserError } from '../util/errors.js';
import { HEARTBEAT_MS } from '../util/time.js';
import type { FromWorker, ToWorker } from './local.js';

const [dbPath, sweepIdText] = process.argv.slice(2);
const sweepId = Number(sweepIdText);

let current: AbortController | null = null;
let quitting = false;
let db: Db | null = null;

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
  if (current) current.abort();
  else void shutdown();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.on('disconnect', stop);
if (!process.connected) stop(); // the launcher was gone before this module finished loading

async function runJob(idx: number, overrides: string[]): Promise<void> {
  const started = Date.now();
  const controller = new AbortController();
  current = controller;
  let runId: number | null = null;
  let status: Exclude<JobStatus, 'queued' | 'running'> = 'failed';
  let error: string | null = null;
  let userError = false;
  let metrics: Record<string, number> = {};
  if (!(await claimJob(db!, sweepId, idx, process.pid))) {
    current = null;
    await send({ type: 'done', idx, status: 'taken', runId, error: 'taken by another launcher', userError, metrics, seconds: 0 });
    return;
  }
  const beat = setInterval(() => void jobHeartbeat(db!, sweepId, idx).catch(() => undefined), HEARTBEAT_MS);
  try {
    const resolved = composeConfig({ overrides });
    const r = await train({
      resolved,
      db: db!,
      signal: controller.signal,
      onRunCreated: async (id) => {
        runId = id;
        await linkJobRun(db!, sweepId, idx, id);
        await send({ type: 'started', idx, runId: id });
      },
    });
    ({ status, error, metrics } = r);
  } catch (e) {
    error = ((e as Error).message ?? String(e)).split('\n')[0]!;
    userError = isUserError(e);
  } finally {
    clearInterval(beat);
  }
  await endJob(db!, sweepId, idx, { status, runId, error });
  current = null;
  await send({ type: 'done', idx, status, runId, error, userError, metrics, seconds: (Date.now() - started) / 1000 });
}

db = await Db.open(dbPath!);
process.on('message', (m: ToWorker) => {
  if (m.type === 'exit') void shutdown();
  else if (m.type === 'job' && !quitting) {
    runJob(m.idx, m.overrides)
      .then(() => (quitting ? shutdown() : undefined))
      .catch(async (e) => {
        process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
        await shutdown(1);
      });
  }
});
if (quitting) await shutdown();
await send({ type: 'ready' });
