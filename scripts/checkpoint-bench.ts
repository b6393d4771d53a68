// `npm run bench:checkpoint`: what checkpoints cost, on the largest model of the paper presets
// (picked by parameter count among paper/lm's jobs; every other preset's models are far smaller):
// the checkpoint's size, the time to write one (snapshot, encode, checksum, fsync, rename), to read
// and verify it, and to restore it into a fresh trainer; then, through the binary, the wall time
// from `irnn run --resume ID` to its first new training step, broken down in process. Prints the
// figures; asserts nothing. Options: --preset paper/lm  --repeat 3  --backend wasm
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { composeConfig } from '../src/config/index.js';
import { expandSweep } from '../src/config/sweep.js';
import { buildModel } from '../src/models/index.js';
import { Db } from '../src/store/db.js';
import { initBackend, type BackendName } from '../src/train/backend.js';
import { latestCheckpoint, writeCheckpoint } from '../src/train/checkpoint-file.js';
import type { TrainerMeta } from '../src/train/checkpoint.js';
import { train } from '../src/train/run.js';
import { createTrainer } from '../src/train/trainer.js';
import { median as medianOrNull } from '../src/util/median.js';

const { values: args } = parseArgs({
  options: { preset: { type: 'string', default: 'paper/lm' }, repeat: { type: 'string', default: '3' }, backend: { type: 'string', default: 'wasm' } },
});
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const mid = (xs: number[]): number => medianOrNull(xs) ?? NaN;
const ms = (t0: number) => performance.now() - t0;
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const dir = mkdtempSync(join(tmpdir(), 'irnn-ckpt-bench-'));
const cacheDir = 'results/cache';

await initBackend(args.backend as BackendName);
// The largest model of the preset's jobs.
const jobs = expandSweep({ overrides: [`+experiment=${args.preset}`] });
let best: { overrides: string[]; params: number } | null = null;
{
  const first = await createTrainer({ cfg: composeConfig({ overrides: jobs[0]! }).config, cacheDir });
  for (const overrides of jobs) {
    const m = buildModel({ config: composeConfig({ overrides }).config, task: first.task });
    if (!best || m.paramCount > best.params) best = { overrides, params: m.paramCount };
    m.dispose();
  }
  first.dispose();
}
// Evaluation is capped (it is not what is measured here, and the preset scores whole splits).
const overrides = [...best!.overrides, `backend=${args.backend}`, 'train.log_every=1', 'train.steps=100000', 'task.eval_tokens=2000'];
console.log(`largest model of ${args.preset}: ${best!.overrides.filter((o) => !o.startsWith('+')).join(' ')} (${best!.params.toLocaleString('en')} parameters)`);

// In process: snapshot + write (after two steps, so that the optimizer has its slots), read + verify, restore.
const cfg = composeConfig({ overrides }).config;
const t0 = performance.now();
const trainer = await createTrainer({ cfg, cacheDir });
const buildMs = ms(t0);
const stepMs: number[] = [];
for (let i = 0; i < 2; i++) {
  const s = performance.now();
  trainer.step();
  stepMs.push(ms(s));
}
const write: number[] = [];
let bytes = 0;
for (let i = 0; i < Number(args.repeat); i++) {
  const s = performance.now();
  const snap = await trainer.saveState();
  bytes = writeCheckpoint(join(dir, 'inproc'), { meta: { step: 2 + i, trainer: snap.meta }, tensors: snap.tensors }, 1).bytes;
  write.push(ms(s));
}
const read: number[] = [];
let content = latestCheckpoint(join(dir, 'inproc'))!.content;
for (let i = 0; i < Number(args.repeat); i++) {
  const s = performance.now();
  content = latestCheckpoint(join(dir, 'inproc'))!.content;
  read.push(ms(s));
}
const fresh = await createTrainer({ cfg, cacheDir });
let s = performance.now();
await fresh.loadState({ meta: content.meta['trainer'] as TrainerMeta, tensors: content.tensors });
const restoreMs = ms(s);
s = performance.now();
fresh.step();
const firstStepMs = ms(s);
trainer.dispose();
fresh.dispose();

// Through the binary: a run interrupted after two steps, then `irnn run --resume` until it prints
// its first new step (train.log_every=1), then stopped.
const dbPath = join(dir, 'bench.sqlite');
const db = await Db.open(dbPath);
const stop = new AbortController();
const r = await train({ resolved: composeConfig({ overrides }), db, cacheDir, signal: stop.signal, events: { onStep: (e) => e.step === 2 && stop.abort() } });
await db.close();
const cli = await new Promise<{ total: number; start: number }>((resolve, reject) => {
  const t = performance.now();
  let start = NaN;
  const child = spawn(process.execPath, [BIN, 'run', '--resume', String(r.runId), '--db', dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => {
    if (Number.isNaN(start) && /resumed at step/.test(String(d))) start = ms(t);
  });
  child.stderr.on('data', (d: Buffer) => {
    if (/^step 3\//m.test(String(d))) {
      resolve({ total: ms(t), start });
      child.kill('SIGKILL');
    }
  });
  child.on('exit', (code) => reject(new Error(`irnn run --resume exited (${code}) before its first step`)));
});
const resumeExtra = mid(read) + restoreMs;

console.log(`machine: ${cpus()[0]?.model ?? '?'} x ${cpus().length}, Node ${process.versions.node}, backend ${args.backend}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (shared: timings are noisy)`);
console.log(`checkpoint size: ${(bytes / 1e6).toFixed(1)} MB (${bytes.toLocaleString('en')} bytes: weights, two Adam moments, header)`);
console.log(`write (snapshot, encode, sha256, fsync, rename): ${fmt(mid(write))} ms median of ${write.length} (${write.map(fmt).join(', ')})`);
console.log(`read and verify: ${fmt(mid(read))} ms median of ${read.length}; restore into a fresh trainer: ${fmt(restoreMs)} ms`);
console.log(`a training step: ${fmt(mid(stepMs))} ms; the first step after restoring: ${fmt(firstStepMs)} ms; building a trainer (data, model): ${fmt(buildMs)} ms`);
console.log(`irnn run --resume ${r.runId} -> first new step: ${fmt(cli.total / 1000)} s wall, of which process start, imports, data, model and restoring the checkpoint: ${fmt(cli.start / 1000)} s`);
console.log(`resume overhead over a fresh start (read, verify, restore): ${fmt(resumeExtra)} ms`);
rmSync(dir, { recursive: true, force: true });
