// The PyTorch peer of `npm run bench` (scripts/torch_rnn_step.py under /usr/bin/python3): runs it
// with a given thread count and reports which BLAS it really uses. A peer on the reference
// (netlib) BLAS is 5-8x slower than on an optimized one, so ratios against it are refused.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../torch_rnn_step.py', import.meta.url));

let coretype: string | null = null;

/** Sets OPENBLAS_CORETYPE for the peer (`npm run bench -- --openblas-coretype SkylakeX`): for a CPU
 *  that OpenBLAS does not recognise and runs with old kernels (see `PeerInfo.core`). */
export function setPeerCoretype(name: string | null): void {
  coretype = name;
}

/** The peer's environment: `threads` for PyTorch, OpenMP and OpenBLAS (which otherwise starts a
 *  thread per core even when PyTorch is told 1), and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
 *  removed, for this command only (set to work around CPU detection elsewhere, they can pin
 *  OpenBLAS to an older, slower kernel), unless --openblas-coretype names one. */
export function peerEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (coretype) env.OPENBLAS_CORETYPE = coretype;
  return env;
}

/** The kernel set OpenBLAS chose for this CPU in the peer's environment ("Core: ..." with
 *  OPENBLAS_VERBOSE=2), or null when it does not say. */
function openblasCore(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch; (torch.ones(64, 64) @ torch.ones(64, 64)).sum()'],
    { encoding: 'utf8', env: { ...peerEnv(1), OPENBLAS_VERBOSE: '2' } });
  return /Core:\s*(\S+)/.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? null;
}

const argList = (o: Record<string, string | number>, threads: number) =>
  [SCRIPT, ...Object.entries({ ...o, threads }).flatMap(([k, v]) => [`--${k}`, String(v)])];

/** One run of the peer script; its JSON line, or null when it failed. */
export function runPeer(o: Record<string, string | number>, threads: number): Record<string, unknown> | null {
  const r = spawnSync(PYTHON, argList(o, threads), { encoding: 'utf8', env: peerEnv(threads) });
  if (r.status !== 0) {
    process.stderr.write(`PyTorch peer failed (${JSON.stringify(o)}): ${(r.stderr ?? '').trim().split('\n').pop()}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** The same, without blocking (for running peers side by side). */
export function runPeerAsync(o: Record<string, string | number>, threads: number): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, argList(o, threads), { env: peerEnv(threads), stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve(code === 0 ? (JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>) : null));
  });
}

export function torchAvailable(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** Which BLAS a library path is. The reference BLAS is Debian's netlib build in .../blas/. */
const KINDS: [RegExp, string][] = [[/openblas/i, 'OpenBLAS'], [/mkl/i, 'MKL'], [/blis/i, 'BLIS'], [/atlas/i, 'ATLAS'], [/\/blas\/libblas/, 'reference']];

export interface PeerInfo {
  version: string;
  /** OpenBLAS, MKL, BLIS, ATLAS, reference or unknown: from the libraries mapped into the peer. */
  blas: string;
  libs: string[];
  /** torch.__config__.show()'s BLAS_INFO (Debian's build says `generic`: it links libblas.so.3). */
  buildInfo: string;
  /** What the system's libblas.so.3 alternative resolves to (update-alternatives). */
  alternative: string;
  /** OpenBLAS's kernel set for this CPU (e.g. SkylakeX, Haswell; Prescott when it does not know
   *  the CPU and falls back to SSE3 kernels), or null. */
  core: string | null;
  /** OPENBLAS_CORETYPE set for the peer by --openblas-coretype, or null. */
  coretype: string | null;
  sgemm: Record<number, number>; // GFLOP/s of a 1024^3 product by thread count
}

export function peerInfo(): PeerInfo | null {
  const one = runPeer({ mode: 'info' }, 1);
  const two = runPeer({ mode: 'info' }, 2);
  if (!one) return null;
  const libs = one.blas_libs as string[];
  const kinds = libs.map((l) => KINDS.find(([re]) => re.test(l))?.[1]).filter((k): k is string => !!k);
  const blas = kinds.find((k) => k !== 'reference') ?? kinds[0] ?? 'unknown';
  let alternative = 'no libblas.so.3 alternative';
  try {
    const name = readdirSync('/etc/alternatives').find((n) => n.startsWith('libblas.so.3'));
    if (name) alternative = `${name} -> ${realpathSync(`/etc/alternatives/${name}`)}`;
  } catch {
    // not a Debian-style system: the mapped libraries still say what is used
  }
  return {
    version: String(one.torch),
    blas,
    libs,
    buildInfo: String(one.blas_info),
    alternative,
    core: blas === 'OpenBLAS' ? openblasCore() : null,
    coretype,
    sgemm: { 1: one.sgemm_gflops as number, 2: (two?.sgemm_gflops as number) ?? NaN },
  };
}

/** Ratios against PyTorch are printed only when it runs on an optimized BLAS. */
export const optimizedBlas = (p: PeerInfo | null): boolean => !!p && p.blas !== 'reference' && p.blas !== 'unknown';
