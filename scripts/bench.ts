// `npm run bench`: speed of one training step (batch 16, 100 hidden, SGD, clipping at 1) for
// irnn, lstm, gru at T = 150 (adding, 2 inputs) and T = 784 (pixel MNIST, 1 input): the fused
// kernel alone, the whole trainer step with engine=fused and =unrolled (wasm), and PyTorch CPU.
// Prints a markdown table; medians after warm-up. Never asserts: the targets are reported.
// Options: --models irnn,lstm,gru  --lengths 150,784  --runs N  --no-torch  --no-unrolled
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { composeConfig } from '../src/config/index.js';
import { activeKernel, AUX_WIDTH } from '../src/kernels/index.js';
import { loadNativeKernel } from '../src/kernels/native.js';
import { GATES, type CellKind } from '../src/models/recurrence.js';
import { createTrainer } from '../src/train/trainer.js';
import { median } from '../src/util/median.js';

const B = 16;
const H = 100;
const MODELS: Record<string, CellKind> = { irnn: 'rnn_relu', lstm: 'lstm', gru: 'gru' };
const LENGTHS: Record<number, { input: number; task: string[] }> = {
  150: { input: 2, task: ['task=adding', 'task.seq_len=150'] },
  784: { input: 1, task: ['task=pixel_mnist'] },
};
const TORCH_SCRIPT = fileURLToPath(new URL('./torch_rnn_step.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'irnn,lstm,gru' },
    lengths: { type: 'string', default: '150,784' },
    runs: { type: 'string', default: '25' },
    'no-torch': { type: 'boolean', default: false },
    'no-unrolled': { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);

/** Median milliseconds per call: wall clock, and CPU time of this process (which other
 *  processes on a shared machine disturb much less). */
interface Timing {
  wall: number;
  cpu: number;
}
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Medians of `fn` after `warmup` untimed calls. */
function timeIt(fn: () => void, o: { warmup: number; runs: number }): Timing {
  for (let i = 0; i < o.warmup; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const [t0, c0] = [performance.now(), cpuMs()];
    fn();
    wall.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  return { wall: median(wall)!, cpu: median(cpu)! };
}

/** Forward + backward of the fused kernel alone on ready buffers (no tensors, no copies), with
 *  the input projection inside the kernel as the trainer's fused engine runs it. */
function kernelOnly(cell: CellKind, T: number): Timing {
  const I = LENGTHS[T]!.input;
  const G = GATES[cell];
  const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => (Math.random() - 0.5) * scale);
  const W = cell === 'rnn_relu' ? Float32Array.from({ length: H * H }, (_, i) => (i % (H + 1) === 0 ? 1 : 0)) : rand(H * G * H, 0.2);
  const shape = { cell, T, B, H };
  const bufs = {
    x: new Float32Array(T * B * G * H), // the kernel projects into it
    W,
    bh: cell === 'gru' ? rand(G * H, 0.1) : undefined,
    h0: new Float32Array(B * H),
    c0: cell === 'lstm' ? new Float32Array(B * H) : undefined,
    states: new Float32Array(T * B * H),
    aux: new Float32Array(T * B * AUX_WIDTH[cell] * H),
    cT: cell === 'lstm' ? new Float32Array(B * H) : undefined,
  };
  const grads = {
    dstates: rand(T * B * H, 0.01),
    dx: new Float32Array(T * B * G * H),
    dW: new Float32Array(H * G * H),
    dbh: cell === 'gru' ? new Float32Array(G * H) : undefined,
    dh0: new Float32Array(B * H),
    dc0: cell === 'lstm' ? new Float32Array(B * H) : undefined,
  };
  const proj = { I, inp: rand(T * B * I, 2), U: rand(I * G * H, 0.2) };
  const fwd = { ...shape, ...bufs, proj: { ...proj, b: rand(G * H, 0.1) } };
  const bwd = { ...shape, ...bufs, ...grads,
    proj: { ...proj, dinp: new Float32Array(T * B * I), dU: new Float32Array(I * G * H), db: new Float32Array(G * H) } };
  const k = activeKernel();
  return timeIt(() => {
    k.forward(fwd);
    k.backward(bwd);
  }, { warmup: 20, runs: RUNS }); // as many warm-up calls as the trainer step gets
}

/** Median ms of `trainer.step()` for one model, length and engine (wasm backend). */
async function trainerStep(model: string, T: number, engine: 'fused' | 'unrolled'): Promise<Timing> {
  const overrides = [`model=${model}`, ...LENGTHS[T]!.task, `model.engine=${engine}`, 'backend=wasm',
    `train.batch_size=${B}`, `model.hidden=${H}`, 'optimizer=sgd', 'optimizer.clip=1'];
  const trainer = await createTrainer({ cfg: composeConfig({ overrides }).config });
  // tfjs and V8 need some 20 steps to settle (the first steps of an IRNN cost twice the later
  // ones). The unrolled graph takes seconds per step at T = 784: fewer repetitions there.
  const slow = engine === 'unrolled';
  const ms = timeIt(() => trainer.step(), { warmup: slow ? 1 : 20, runs: slow ? (T > 200 ? 2 : 3) : RUNS });
  trainer.dispose();
  return ms;
}

function torchAvailable(): boolean {
  return !args['no-torch'] && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

function torchStep(model: string, T: number): (Timing & { version: string }) | null {
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, '--kind', model, '--seq-len', String(T), '--input',
    String(LENGTHS[T]!.input), '--batch', String(B), '--hidden', String(H), '--threads', '1',
    '--runs', String(T > 200 ? 3 : 7)], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; cpu_ms: number; torch: string };
  return { wall: out.ms, cpu: out.cpu_ms, version: out.torch };
}

/** FLOPs of one step's recurrence, forward + backward ~ 3x forward (the convention PyTorch
 *  peers use, so GFLOP/s compare across engines). */
const flops = (cell: CellKind, T: number, I: number) => 3 * 2 * B * H * (H + I) * T * GATES[cell];

function machineLine(): string {
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
  const model = /Model name:\s*(.+)/.exec(lscpu)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown CPU';
  return `${model}, ${cpus().length} cores, Node ${process.versions.node}, tfjs ${tf.version_core}`;
}

const f1 = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

interface Row {
  model: string;
  T: number;
  I: number;
  cell: CellKind;
  kernel: Timing;
  fused: Timing;
  unrolled?: Timing;
  torch?: Timing;
}

function table(rows: Row[], clock: keyof Timing): string[] {
  const lines = [
    '| model | T | kernel fwd+bwd ms | fused step ms | steps/s | GFLOP/s | step keeps of kernel | unrolled step ms | fused vs unrolled | PyTorch ms | fused vs PyTorch |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const [k, f, u, p] = [r.kernel[clock], r.fused[clock], r.unrolled?.[clock], r.torch?.[clock]];
    lines.push(`| ${r.model} | ${r.T} | ${f1(k, 2)} | ${f1(f, 2)} | ${f1(1000 / f)} | ${f1(flops(r.cell, r.T, r.I) / f / 1e6)} | ` +
      `${f1((100 * k) / f, 0)}% | ${f1(u, 0)} | ${f1(u && u / f)}x | ${f1(p)} | ${f1(p && p / f)}x |`);
  }
  return lines;
}

async function main(): Promise<void> {
  const models = args.models.split(',');
  const lengths = args.lengths.split(',').map(Number);
  const torch = torchAvailable();
  const native = loadNativeKernel();
  const load0 = loadavg()[0]!;
  const started = performance.now();
  const rows: Row[] = [];
  let torchVersion = '';
  for (const T of lengths) {
    for (const model of models) {
      const cell = MODELS[model]!;
      const row: Row = { model, T, I: LENGTHS[T]!.input, cell, kernel: kernelOnly(cell, T), fused: await trainerStep(model, T, 'fused') };
      if (!args['no-unrolled']) row.unrolled = await trainerStep(model, T, 'unrolled');
      const pt = torch ? torchStep(model, T) : null;
      if (pt) [row.torch, torchVersion] = [pt, pt.version];
      rows.push(row);
      process.stderr.write(`${model} T=${T}: fused ${f1(row.fused.wall, 2)} ms, unrolled ${f1(row.unrolled?.wall, 0)} ms, PyTorch ${f1(row.torch?.wall)} ms\n`);
    }
  }
  const impl = native ? `native addon (SIMD width ${native.simdWidth} floats)` : 'TypeScript loops (native addon not built)';
  const out = [
    `Machine: ${machineLine()}. Fused kernel: ${impl}.`,
    `Batch ${B}, hidden ${H}, SGD, global-norm clip 1; T=150: adding (2 inputs), T=784: pixel MNIST (1 input), wasm backend.`,
    `PyTorch: ${torch ? `${torchVersion}, CPU, 1 thread (scripts/torch_rnn_step.py: one RNN layer, linear readout, MSE; subnormals flushed like the fused kernels do)` : 'not available (/usr/bin/python3 cannot import torch)'}.`,
    `Medians of ${RUNS} steps after 20 warm-up steps (unrolled: 3 steps at T=150, 2 at T=784, after 1). GFLOP/s counts the recurrence: 3 x 2 x B x H x (H+I) x T x gates per step.`,
    `Load average ${load0.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end; ${((performance.now() - started) / 1000).toFixed(0)} s in all.`,
    '',
    'CPU time per step (this process only; robust when other processes share the cores):',
    '',
    ...table(rows, 'cpu'),
    '',
    'Wall-clock time per step:',
    '',
    ...table(rows, 'wall'),
    '',
    'Targets: fused >= 10x PyTorch and >= 20x unrolled; the whole step keeps >= 70% of kernel-only throughput.',
  ];
  console.log(out.join('\n'));
}

await main();
