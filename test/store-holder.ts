// Test fixture (not a test file): a process that opens the store named by argv[2] for writing,
// records a run (metrics, gradient diagnostics) and a sweep whose job links it, says `ready`, and
// then holds the store open, its writes still in the WAL, until told `close` (or killed).
import { Db } from '../src/store/db.js';
import { logDiagnostics } from '../src/store/diagnostics.js';
import { createRun, describeRun, finishRun, logMetrics } from '../src/store/runs.js';
import { createSweep, endJob, linkJobRun } from '../src/store/sweeps.js';

const db = await Db.open(process.argv[2]!);
const sweepId = await createSweep(db, { spec: { overrides: ['seed=1'] }, command: 'irnn sweep seed=1', jobs: [{ idx: 1, overrides: ['seed=1'], configHash: 'h1' }] });
const runId = await createRun(db, {
  task: 'adding', model: 'irnn', seed: 1, config: { seed: 1, task: { name: 'adding' }, model: { name: 'irnn', hidden: 4 } }, configHash: 'h1',
  overrides: ['seed=1'], steps: 4, git: { commit: null, dirty: null }, versions: {}, host: 'test', pid: process.pid,
}, (id) => linkJobRun(db, sweepId, 1, id));
await describeRun(db, runId, { backend: 'cpu', engine: 'fused', taskInfo: { seq_len: 5, main_metric: { name: 'test_mse', goal: 'min', select: 'valid_mse' } }, params: 10 });
for (const step of [0, 2, 4]) await logMetrics(db, runId, step, { valid_mse: 1 / (step + 1), test_mse: 1 / (step + 2) });
await logDiagnostics(db, runId, 4, [1, 2, 3].map((lag) => ({ quantity: 'grad_h', layer: 0, direction: 0, lag, value: 1 / lag })));
await finishRun(db, runId, { status: 'finished', step: 4 });
await endJob(db, sweepId, 1, { status: 'finished', runId });
process.on('message', async (m) => {
  if (m !== 'close') return;
  await db.close();
  process.send!('closed', () => process.exit(0));
});
process.send!('ready');
