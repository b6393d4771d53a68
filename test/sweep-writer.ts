// Test fixture (not a test file): a process that creates one run in the store named by argv[2],
// says `ready`, and on `go` logs argv[3] steps of metrics as fast as it can, racing another writer.
import { createRun, logMetrics } from '../src/store/runs.js';
import { Db } from '../src/store/db.js';

const [path, stepsText] = process.argv.slice(2);
const db = await Db.open(path!);
const runId = await createRun(db, {
  task: 'adding', model: 'irnn', seed: process.pid, config: {}, configHash: `writer-${process.pid}`, overrides: [], steps: Number(stepsText),
  git: { commit: null, dirty: null }, versions: {}, host: 'test', pid: process.pid,
});
process.once('message', async () => {
  for (let step = 0; step < Number(stepsText); step++) await logMetrics(db, runId, step, { a: step, b: -step, c: step * runId });
  await db.close();
  process.send!({ runId }, () => process.exit(0));
});
process.send!({ ready: true });
