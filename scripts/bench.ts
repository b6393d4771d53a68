// `npm run bench`: speed against the CPU's peak and against PyTorch, measured side by side in one
// run (each row interleaves ours and the peer's, in rounds). Prints markdown tables in the
// README's format. Never asserts: the goals are printed with the figures.
//  - the CPU's peak: FMA chains on 1 and 2 cores; every row prints its fraction of it
//  - the PyTorch peer's BLAS (the library mapped into it) and its sgemm rate; no ratio is
//    printed against the reference BLAS
//  - recurrent steps (irnn, lstm, gru at T = 150 and 784) vs PyTorch with 1 and 2 threads
//  - lm_words steps (LSTM 128, 4-layer IRNN 128, V = 10,000) and the whole SOTU test split
//  - sweep throughput: a 20-job adding grid on 2 workers vs 20 PyTorch scripts two at a time
// Options: --models irnn,lstm,gru --lengths 150,784 --runs N --rounds N --no-torch --no-unrolled
//          --no-lm --no-sweep --sweep-steps N --openblas-coretype NAME (OPENBLAS_CORETYPE for the peer)
//          --settle S (seconds to wait at the end for the 1-minute load to fall below 1; 240)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadNativeKernel, nativeAddon } from '../src/kernels/native.js';
import { lmForwardFlops, lmTrainer, LM, LM_MODELS, ourLmEval, ourLmStep, peerLmEval, peerLmStep, testIdsFile } from './bench/lm.js';
import { optimizedBlas, peerInfo, runPeer, setPeerCoretype, torchAvailable, type PeerInfo } from './bench/peer.js';
import { B, H, kernelOnly, LENGTHS, MODELS, rnnFlops, rnnTrainer, trainerStep } from './bench/recurrent.js';
import { ourSweep, peerSweep, SWEEP } from './bench/sweep.js';
import { f1, medianOf, type Timing } from './bench/timing.js';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'irnn,lstm,gru' },
    lengths: { type: 'string', default: '150,784' },
    runs: { type: 'string', default: '25' },
    rounds: { type: 'string', default: '3' },
    'no-torch': { type: 'boolean', default: false },
    'no-unrolled': { type: 'boolean', default: false },
    'no-lm': { type: 'boolean', default: false },
    'no-sweep': { type: 'boolean', default: false },
    'sweep-steps': { type: 'string', default: '300' },
    'openblas-coretype': { type: 'string' },
    settle: { type: 'string', default: '240' },
  },
});
const RUNS = Number(args.runs);
const ROUNDS = Number(args.rounds);
const note = (s: string) => process.stderr.write(`${s}\n`);

/** The FMA peak: one core's rate by its own CPU time, and by wall clock (best of five, the least
 *  disturbed on a shared machine) on 1 and 2 cores. */
interface Peak { perCore: number; wall: Record<number, number> }
function peak(): Peak {
  const addon = loadNativeKernel() ? nativeAddon() : null;
  if (!addon) return { perCore: NaN, wall: { 1: NaN, 2: NaN } };
  const runs = (threads: number) => Array.from({ length: 5 }, () => addon.fmaPeak({ threads, iters: 30_000_000 }));
  const [one, two] = [runs(1), runs(Math.min(2, cpus().length))];
  return { perCore: Math.max(...one.map((r) => r.perCore)), wall: { 1: Math.max(...one.map((r) => r.wall)), 2: Math.max(...two.map((r) => r.wall)) } };
}

function machineLine(): string {
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
  const model = /Model name:\s*(.+)/.exec(lscpu)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown CPU';
  const flags = /Flags:\s*(.+)/.exec(lscpu)?.[1]?.split(/\s+/) ?? [];
  const simd = flags.includes('avx512f') ? 'AVX-512' : flags.includes('avx2') ? 'AVX2' : 'SSE';
  const allowed = availableParallelism();
  const pinned = allowed < cpus().length ? ` of which this process may use ${allowed} (CPU affinity: ${affinity()})` : '';
  return `${model} (${simd}), ${cpus().length} cores${pinned}, Node ${process.versions.node}, tfjs ${tf.version_core}`;
}

/** The CPUs this process may run on (Linux: Cpus_allowed_list), as inherited from its parent:
 *  a shell pinned with taskset confines every thread of the bench and of its peers. */
function affinity(): string {
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  return /Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1] ?? `${availableParallelism()} CPU(s)`;
}
/** Two-thread figures mean something only when two CPUs are allowed. */
const TWO_CPUS = availableParallelism() >= 2;

/** `uptime`'s line (the load the run started and ended under), or the load averages. */
function uptimeLine(): string {
  const u = spawnSync('uptime', [], { encoding: 'utf8' }).stdout?.trim();
  return u || `load average: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`;
}

/** CPU time of the whole machine (busy: user, nice, system, irq, softirq, steal) and of this
 *  process with its finished children (the PyTorch peers), in clock ticks, from /proc (Linux);
 *  null elsewhere. Their difference over a run is what other processes took while it ran. */
function cpuTicks(): { machine: number; self: number } | null {
  if (!existsSync('/proc/stat')) return null;
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = cpu;
  const stat = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ').map(Number);
  // Fields 14-17 of /proc/PID/stat (utime stime cutime cstime) are 11-14 after the comm field.
  return { machine: user! + nice! + system! + irq! + softirq! + (steal ?? 0), self: stat[11]! + stat[12]! + stat[13]! + stat[14]! };
}
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** Waits (up to `maxS` seconds) for the 1-minute load average to fall below 1: right after the
 *  run it still counts the bench's own processes, so the end load is read once they have decayed
 *  out of it. Returns the seconds waited. */
async function settle(maxS: number): Promise<number> {
  const t0 = performance.now();
  while (loadavg()[0]! >= 1 && performance.now() - t0 < maxS * 1000) await new Promise((r) => setTimeout(r, 5000));
  return (performance.now() - t0) / 1000;
}

/** Fraction of the per-core peak reached per CPU-second of the process (all its threads): how well
 *  the arithmetic uses a core while it runs, which other load on the machine changes little. */
const pct = (flops: number, cpuMs: number, pk: Peak) => `${f1((100 * flops) / cpuMs / 1e6 / pk.perCore, 0)}%`;
const ratio = (peer: number | undefined, ours: number, ok: boolean) => (ok && peer !== undefined ? `${f1(peer / ours)}x` : '–');

interface RnnRow { model: string; T: number; kernel: Timing; fused: Timing; unrolled?: Timing; torch1?: Timing; torch2?: Timing }

function peerRnn(model: string, T: number, threads: number): Timing | undefined {
  const r = runPeer({ mode: 'rnn', kind: model, 'seq-len': T, input: LENGTHS[T]!.input, batch: B, hidden: H, runs: T > 200 ? 3 : 7 }, threads);
  return r ? { wall: r.ms as number, cpu: r.cpu_ms as number } : undefined;
}

async function recurrentRows(torch: boolean): Promise<RnnRow[]> {
  const rows: RnnRow[] = [];
  for (const T of args.lengths.split(',').map(Number)) {
    for (const model of args.models.split(',')) {
      const cell = MODELS[model]!;
      const trainer = await rnnTrainer(model, T, 'fused');
      const fused: Timing[] = [];
      const t1: Timing[] = [];
      const t2: Timing[] = [];
      for (let r = 0; r < ROUNDS; r++) { // ours and the peer's, alternately
        fused.push(trainerStep(trainer, { warmup: r ? 2 : 20, runs: RUNS }));
        if (!torch) continue;
        const [a, b] = [peerRnn(model, T, 1), peerRnn(model, T, 2)];
        if (a) t1.push(a);
        if (b) t2.push(b);
      }
      trainer.dispose();
      const row: RnnRow = { model, T, kernel: kernelOnly(cell, T, RUNS), fused: medianOf(fused) };
      if (t1.length) row.torch1 = medianOf(t1);
      if (t2.length) row.torch2 = medianOf(t2);
      if (!args['no-unrolled']) {
        const u = await rnnTrainer(model, T, 'unrolled');
        row.unrolled = trainerStep(u, { warmup: 1, runs: T > 200 ? 2 : 3 }); // seconds per step
        u.dispose();
      }
      rows.push(row);
      note(`${model} T=${T}: fused ${f1(row.fused.wall, 2)} ms, PyTorch ${f1(row.torch1?.wall)} / ${f1(row.torch2?.wall)} ms (1 / 2 threads)`);
    }
  }
  return rows;
}

function recurrentTable(rows: RnnRow[], pk: Peak, ok: boolean): string[] {
  const lines = [
    '| model | T | kernel ms | step ms | GFLOP/s | % of peak | unrolled ms | vs unrolled | PyTorch 1 thread ms | vs PyTorch 1 thread | same, CPU time | PyTorch 2 threads ms | vs PyTorch 2 threads |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const f = r.fused.wall;
    const flops = rnnFlops(MODELS[r.model]!, r.T);
    lines.push(`| ${r.model} | ${r.T} | ${f1(r.kernel.wall, 2)} | ${f1(f, 2)} | ${f1(flops / f / 1e6)} | ${pct(flops, r.fused.cpu, pk)} | ${f1(r.unrolled?.wall, 0)} | ` +
      `${r.unrolled ? `${f1(r.unrolled.wall / f)}x` : '–'} | ${f1(r.torch1?.wall)} | ${ratio(r.torch1?.wall, f, ok)} | ` +
      `${ratio(r.torch1?.cpu, r.fused.cpu, ok)} | ${f1(r.torch2?.wall)} | ${ratio(r.torch2?.wall, f, ok)} |`);
  }
  return lines;
}

interface LmRow { model: string; who: 'irnn-harness' | 'PyTorch'; threads: number; step: Timing; evalS?: number; tokens?: number }

async function lmRows(torch: boolean): Promise<LmRow[]> {
  const rows: LmRow[] = [];
  const ids = torch ? testIdsFile() : '';
  for (const model of Object.keys(LM_MODELS)) {
    const trainer = await lmTrainer(model);
    const samples: Record<string, Timing[]> = {};
    const push = (k: string, t: Timing | null) => t && (samples[k] ??= []).push(t);
    for (let r = 0; r < ROUNDS; r++) {
      for (const threads of [1, 2]) push(`ours ${threads}`, ourLmStep(trainer, threads, 5));
      if (torch) for (const threads of [1, 2]) push(`peer ${threads}`, peerLmStep(model, threads, 5));
    }
    for (const threads of [1, 2]) {
      const ev = ourLmEval(trainer, threads);
      rows.push({ model, who: 'irnn-harness', threads, step: medianOf(samples[`ours ${threads}`]!), evalS: ev.wall / 1000, tokens: ev.tokens });
    }
    for (const threads of torch ? [1, 2] : []) {
      const ev = peerLmEval(model, threads, ids);
      if (samples[`peer ${threads}`]) rows.push({ model, who: 'PyTorch', threads, step: medianOf(samples[`peer ${threads}`]!), evalS: ev ? ev.wall / 1000 : undefined, tokens: ev?.tokens });
    }
    trainer.dispose();
    note(`lm ${model}: ${rows.filter((r) => r.model === model).map((r) => `${r.who} ${r.threads}T ${f1(r.step.wall)} ms`).join(', ')}`);
  }
  return rows;
}

function lmTable(rows: LmRow[], pk: Peak, ok: boolean): string[] {
  const tokens = LM.B * LM.L;
  const lines = [
    '| model | who | threads | step ms | GFLOP/s | % of peak | vs PyTorch 1 thread | vs PyTorch 2 threads | test split s | test GFLOP/s |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const flops = 3 * lmForwardFlops(r.model, tokens);
    const peer = (threads: number) => rows.find((p) => p.model === r.model && p.who === 'PyTorch' && p.threads === threads)?.step.wall;
    const ours = r.who === 'irnn-harness';
    const evalG = r.evalS && r.tokens ? lmForwardFlops(r.model, r.tokens) / r.evalS / 1e9 : undefined;
    lines.push(`| ${r.model} | ${r.who} | ${r.threads} | ${f1(r.step.wall)} | ${f1(flops / r.step.wall / 1e6)} | ${pct(flops, r.step.cpu, pk)} | ` +
      `${ours ? ratio(peer(1), r.step.wall, ok) : ''} | ${ours ? ratio(peer(2), r.step.wall, ok) : ''} | ${f1(r.evalS, 2)} | ${f1(evalG)} |`);
  }
  return lines;
}

function peerLines(p: PeerInfo | null, torch: boolean): string[] {
  if (args['no-torch']) return ['PyTorch: not run (--no-torch).'];
  if (!torch || !p) return ['PyTorch: not available (/usr/bin/python3 cannot import torch; Debian: apt-get install python3-torch libopenblas0-pthread).'];
  const env = p.coretype ? `OPENBLAS_CORETYPE=${p.coretype} (--openblas-coretype), OPENBLAS_L2_SIZE unset` : 'OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset';
  const lines = [
    `PyTorch ${p.version} on the CPU; BLAS: ${p.blas}${p.core ? ` (kernels: ${p.core})` : ''} (mapped into the peer: ${p.libs.join(', ') || 'none found'}; ${p.alternative}; ` +
      `torch BLAS_INFO=${p.buildInfo}); sgemm 1024^3: ${f1(p.sgemm[1])} GFLOP/s on 1 thread, ${f1(p.sgemm[2])} on 2. ` +
      `${env}, OPENBLAS_NUM_THREADS / OMP_NUM_THREADS = the thread count, for the peer only.`,
  ];
  if (p.core && /^(Prescott|Core2|Penryn|Dunnington|Nehalem|Atom|Katmai|Coppermine|Northwood|Banias|Yonah|Opteron|Barcelona)$/i.test(p.core) &&
      /AVX/.test(machineLine())) {
    lines.push(`OpenBLAS runs its ${p.core} kernels (SSE, no AVX) on this CPU, which it did not recognise: PyTorch is slower here than with ` +
      'kernels for its vector width, and every ratio below is larger than against a well-configured peer; rerun with ' +
      '`npm run bench -- --openblas-coretype SkylakeX` (AVX-512) or `Haswell` (AVX2) to compare with those.');
  }
  if (!optimizedBlas(p)) {
    lines.push(`PyTorch uses the ${p.blas} BLAS, not an optimized one: no ratio against it is printed ` +
      '(on Debian: apt-get install libopenblas0-pthread, which becomes the preferred libblas.so.3).');
  }
  return lines;
}

/** The goals, and whether this run met each: every recurrent row >= 5x PyTorch on 1 thread and
 *  >= 3x on 2; the T = 784 rows >= 50% of the per-core peak; lm_words >= 3x PyTorch on 1 thread
 *  (ours with the readout on 1 or on 2 threads); all on a machine whose load stayed below 1. */
function goalLines(rnn: RnnRow[], lm: LmRow[], pk: Peak, ok: boolean, load: { start: number; end: number; others: number | null }): string[] {
  const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : 'missed');
  const rows = rnn.map((r) => {
    const t1 = ok && r.torch1 ? r.torch1.wall / r.fused.wall : null;
    const t2 = ok && r.torch2 && TWO_CPUS ? r.torch2.wall / r.fused.wall : null;
    const peakPct = (100 * rnnFlops(MODELS[r.model]!, r.T)) / r.fused.cpu / 1e6 / pk.perCore;
    return { r, t1, t2, peakPct };
  });
  const all = (xs: (boolean | null)[]) => (xs.length === 0 || xs.some((x) => x === null) ? null : xs.every(Boolean));
  const peer1 = (m: string) => lm.find((x) => x.model === m && x.who === 'PyTorch' && x.threads === 1)?.step.wall;
  const lmRatios = Object.keys(LM_MODELS).flatMap((m) => {
    const peer = peer1(m);
    return lm.filter((x) => x.model === m && x.who === 'irnn-harness').map((x) => ({ m, threads: x.threads, ratio: ok && peer ? peer / x.step.wall : null }));
  });
  const lines = [
    'Speed goals, this run:',
    `- every recurrent row >= 5x PyTorch on 1 thread: ${verdict(all(rows.map((x) => (x.t1 === null ? null : x.t1 >= 5))))} ` +
      `(${rows.map((x) => `${x.r.model} ${x.r.T}: ${f1(x.t1 ?? undefined)}x`).join(', ')})`,
    `- every recurrent row >= 3x PyTorch on 2 threads: ${verdict(all(rows.map((x) => (x.t2 === null ? null : x.t2 >= 3))))} ` +
      (TWO_CPUS ? `(${rows.map((x) => `${x.r.model} ${x.r.T}: ${f1(x.t2 ?? undefined)}x`).join(', ')})`
        : `(this process may use ${availableParallelism()} CPU only (affinity ${affinity()}): its 2-thread rows ran on one core; run it unpinned, e.g. taskset -c 0-${cpus().length - 1})`),
    `- the T = 784 recurrence >= 50% of the measured peak: ${verdict(all(rows.filter((x) => x.r.T === 784).map((x) => x.peakPct >= 50)))} ` +
      `(${rows.filter((x) => x.r.T === 784).map((x) => `${x.r.model}: ${f1(x.peakPct, 0)}%`).join(', ') || 'no T = 784 row'})`,
  ];
  if (lm.length) {
    // Judged one thread against one thread; ours on two threads is shown beside it, not counted.
    lines.push(`- lm_words step on 1 thread >= 3x PyTorch on 1 thread: ${verdict(all(Object.keys(LM_MODELS).map((m) => {
      const one = lmRatios.find((x) => x.m === m && x.threads === 1)?.ratio ?? null;
      return one === null ? null : one >= 3;
    })))} (${lmRatios.map((x) => `${x.m}, ours on ${x.threads} thread${x.threads > 1 ? 's' : ''}: ${f1(x.ratio ?? undefined)}x`).join(', ')})`);
    // What 3x would take: the step's arithmetic in a third of PyTorch's time, as a share of the peak.
    const needed = Object.keys(LM_MODELS).map((m) => {
      const peer = peer1(m);
      const flops = 3 * lmForwardFlops(m, LM.B * LM.L);
      return peer && ok ? `${m}: ${f1((100 * flops) / (peer / 3) / 1e6 / pk.perCore, 0)}%` : null;
    }).filter(Boolean);
    if (needed.length) lines.push(`  (3x PyTorch on 1 thread means the step's arithmetic at this share of the per-core peak: ${needed.join(', ')})`);
  }
  const quiet = load.start < 1 && load.end < 1 && (load.others === null || load.others < 0.1);
  lines.push(`- load below 1 at start and end, other processes under 0.1 core during the run: ${quiet ? 'met' : 'missed'} ` +
    `(start ${load.start.toFixed(2)}, end ${load.end.toFixed(2)}, others ${load.others === null ? 'not measured' : `${load.others.toFixed(2)} core`})` +
    `${quiet ? '' : ': timings taken under load are not results'}`);
  return lines;
}

async function main(): Promise<void> {
  setPeerCoretype(args['openblas-coretype'] ?? null);
  const torch = !args['no-torch'] && torchAvailable();
  const native = loadNativeKernel();
  const load0 = loadavg();
  const ticks0 = cpuTicks();
  const uptime0 = uptimeLine();
  note(`start: ${uptime0}`);
  const started = performance.now();
  const pk = peak();
  const peer = torch ? peerInfo() : null;
  const ok = optimizedBlas(peer);
  note(`peak ${f1(pk.perCore)} GFLOP/s per core; PyTorch BLAS ${peer?.blas ?? 'none'}`);
  const rnn = await recurrentRows(torch);
  const lm = args['no-lm'] ? [] : await lmRows(torch);
  let sweep = '';
  if (!args['no-sweep']) {
    const steps = Number(args['sweep-steps']);
    const ours = ourSweep(steps);
    const theirs = torch ? await peerSweep(steps) : null;
    const perHour = (s: number | null) => (s ? (2 * SWEEP.seeds * 3600) / s : undefined);
    sweep = `| ${2 * SWEEP.seeds} jobs (irnn, lstm x ${SWEEP.seeds} seeds; T = ${SWEEP.T}, ${steps} steps, test ${SWEEP.testSize}) | ` +
      `${f1(ours)} s | ${f1(perHour(ours), 0)} | ${f1(theirs ?? undefined)} s | ${f1(perHour(theirs), 0)} | ${theirs ? ratio(theirs, ours, ok) : '–'} |`;
    note(`sweep: ours ${f1(ours)} s, PyTorch ${f1(theirs ?? undefined)} s`);
  }
  const wallS = (performance.now() - started) / 1000;
  const ticks1 = cpuTicks();
  // Other processes' CPU during the run, in cores (the machine's busy time minus this process's
  // and its peers'): the load average cannot tell them from the bench itself.
  const others = ticks0 && ticks1 ? Math.max(0, (ticks1.machine - ticks0.machine - (ticks1.self - ticks0.self)) / CLK_TCK / wallS) : null;
  const loadRun = loadavg();
  note(`run done in ${wallS.toFixed(0)} s; waiting up to ${args.settle} s for the 1-minute load to fall below 1`);
  const waited = await settle(Number(args.settle));
  const load1 = loadavg();
  const uptime1 = uptimeLine();
  const impl = native ? `native addon (SIMD width ${native.simdWidth} floats)` : 'TypeScript loops (native addon not built)';
  const out = [
    `Machine: ${machineLine()}. Kernels: ${impl}.`,
    `CPU peak (independent FMA chains): ${f1(pk.perCore)} GFLOP/s per core by its own CPU time (${f1(2 * pk.perCore)} for 2 cores); ` +
      `by wall clock during this run (best of 5): ${f1(pk.wall[1])} on 1 core, ${f1(pk.wall[2])} on 2. ` +
      '"% of peak": the row\'s GFLOP per CPU-second of its process (all threads) over the per-core peak.',
    ...peerLines(peer, torch),
    `Load average (1, 5, 15 min) ${load0.map((l) => l.toFixed(1)).join(' ')} at start, ${loadRun.map((l) => l.toFixed(1)).join(' ')} as the run ended ` +
      `(the bench's own processes), ${load1.map((l) => l.toFixed(1)).join(' ')} ${waited.toFixed(0)} s later; ${wallS.toFixed(0)} s of measuring. ` +
      `Other processes took ${others === null ? 'an unmeasured share (no /proc)' : `${others.toFixed(2)} core on average`} during the run ` +
      `(the machine's busy CPU time minus the bench's and its peers'). Each row alternates ours and the peer's in ${ROUNDS} rounds; medians.`,
    `uptime at start: ${uptime0}`,
    `uptime at end:   ${uptime1}`,
    '',
    `Recurrent tasks: one training step, batch ${B}, hidden ${H}, SGD, clip 1 (T = 150: adding, 2 inputs; T = 784: pixel MNIST, 1 input); ` +
      `wall-clock ms; ours on 1 thread; GFLOP/s counts the recurrence, 3 x 2 x B x H x (H + I) x T x gates.`,
    '',
    ...recurrentTable(rnn, pk, ok),
  ];
  if (lm.length) {
    out.push('', `lm_words: one training step, V = ${LM.V}, embedding ${LM.E}, ${LM.B} x ${LM.L} tokens, Adam, clip 1, state carried; ` +
      'test split: the loss of all SOTU test tokens (32 streams of 35-token windows, no gradients). GFLOP/s counts the readout and the recurrent products ' +
      '(3x the forward pass for a step).', '', ...lmTable(lm, pk, ok));
  }
  if (sweep) {
    out.push('', 'Sweep throughput (wall clock, process start, data, evaluation and the store included):', '',
      '| grid | irnn sweep --jobs 2 | jobs/hour | PyTorch, 2 at a time | jobs/hour | ours vs PyTorch |', '|---|---|---|---|---|---|', sweep);
  }
  out.push('', ...goalLines(rnn, lm, pk, ok, { start: load0[0]!, end: load1[0]!, others }));
  console.log(out.join('\n'));
}

await main();
