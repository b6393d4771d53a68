// Sweep throughput in `npm run bench`: a 20-job adding grid (irnn and lstm x 10 seeds, T = 150,
// hidden 100, batch 16, Adam, clip 1, test set of 1,000) run by `irnn sweep --jobs 2` into a fresh
// store, against the same 20 runs as PyTorch scripts, two at a time. Jobs per hour, wall clock,
// process start, data, evaluation and (ours) the store included.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPeerAsync } from './peer.js';

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
export const SWEEP = { models: ['irnn', 'lstm'], seeds: 10, T: 150, testSize: 1000 };

/** Seconds for our 20 jobs with 2 local workers (each kernel on 1 thread). */
export function ourSweep(steps: number): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'irnn-bench-sweep-'));
  const args = [BIN, 'sweep', `model=${SWEEP.models.join(',')}`, `seed=range(0,${SWEEP.seeds})`, 'task=adding', `task.seq_len=${SWEEP.T}`,
    `task.test_size=${SWEEP.testSize}`, `train.steps=${steps}`, `train.eval_every=${steps}`, 'backend=wasm', '--jobs', '2', '--db', path.join(dir, 'bench.sqlite')];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, IRNN_READOUT_THREADS: '1' } });
  const s = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`bench: the sweep failed: ${(r.stderr ?? '').trim().split('\n').pop()}`);
  return s;
}

/** Seconds for the same 20 runs in PyTorch (1 thread each), two processes at a time. */
export async function peerSweep(steps: number): Promise<number | null> {
  const jobs = SWEEP.models.flatMap((kind) => Array.from({ length: SWEEP.seeds }, (_, seed) => ({ kind, seed })));
  const t0 = performance.now();
  let failed = false;
  const worker = async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const r = await runPeerAsync({ mode: 'adding', kind: job.kind, seed: job.seed, 'seq-len': SWEEP.T, steps, 'test-size': SWEEP.testSize }, 1);
      failed ||= r === null;
    }
  };
  await Promise.all([worker(), worker()]);
  return failed ? null : (performance.now() - t0) / 1000;
}
