// Loads the native addon (native/*.cc, built by scripts/build-native.mjs at install) and adapts
// it to the Kernel contract. Returns null when it was not built or cannot load here;
// IRNN_KERNEL=typescript in the environment skips it on purpose.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CellKind } from './contract.js';
import type { BackwardArgs, ForwardArgs, Kernel, KernelShape } from './kernel.js';

export interface Addon {
  forward(a: Record<string, unknown>): void;
  backward(a: Record<string, unknown>): void;
  /** Floats of the buffer a forward pass saves for the backward pass (the engine's lanes layout). */
  savedLength(a: Record<string, unknown>): number;
  /** The fused softmax cross-entropy readout (native/readout.h): returns the summed loss. */
  readout(a: Record<string, unknown>): number;
  /** GFLOP/s of independent FMA chains on `threads` threads (native/readout.h): all threads by
   *  wall clock, and one core by its own CPU time. */
  fmaPeak(a: { threads: number; iters: number }): { wall: number; perCore: number };
  /** One Adam step of one variable (native/optim.h). */
  adam(a: Record<string, unknown>): void;
  /** Sum of squares of a Float32Array, in double. */
  sumSquares(x: Float32Array): number;
  /** The whole training step of a recurrent model (native/step.h; src/kernels/step.ts). */
  trainStep(a: Record<string, unknown>): { loss: number; norm: number };
  simdWidth: number;
}

const CELL_CODE: Record<CellKind, number> = { rnn_relu: 0, rnn_tanh: 1, lstm: 2, gru: 3 };
const ADDON_PATH = fileURLToPath(new URL('../../build/Release/irnn_kernels.node', import.meta.url));

export interface NativeKernel extends Kernel {
  impl: 'native';
  /** Floats per SIMD register the addon was compiled for (16 = AVX-512, 8 = AVX2). */
  simdWidth: number;
}

let addon: Addon | null | undefined;
let loadError = '';

function loadAddon(): Addon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env.IRNN_KERNEL === 'typescript') {
    loadError = 'IRNN_KERNEL=typescript';
    return addon;
  }
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (e) {
    loadError = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
  return addon;
}

const kernels = new Map<number, NativeKernel>();

/** The native kernel, or null (see `nativeLoadError()` for why). `threads` takes blocks of 64 batch
 *  rows in parallel (default: IRNN_KERNEL_THREADS, else 1); results do not depend on it. */
export function loadNativeKernel(opts: { threads?: number } = {}): NativeKernel | null {
  const a = loadAddon();
  if (!a) return null;
  const threads = opts.threads ?? (Number(process.env.IRNN_KERNEL_THREADS ?? 1) || 1);
  let k = kernels.get(threads);
  if (!k) {
    // The addon reads one flat object; the projection's fields join it at the top level.
    const call = (fn: (o: Record<string, unknown>) => void) => (o: ForwardArgs | BackwardArgs) =>
      fn({ ...o, ...o.proj, cell: CELL_CODE[o.cell], threads });
    const savedLength = (s: KernelShape) => a.savedLength({ cell: CELL_CODE[s.cell], T: s.T, B: s.B, H: s.H });
    k = { impl: 'native', savedLength, forward: call(a.forward), backward: call(a.backward), simdWidth: a.simdWidth };
    kernels.set(threads, k);
  }
  return k;
}

/** The raw addon functions, for tests of its argument checks. */
export function nativeAddon(): Addon | null {
  return loadAddon();
}

export function nativeLoadError(): string {
  return loadError;
}
