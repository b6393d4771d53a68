// Loads the native addon (native/*.cc, built by scripts/build-native.mjs at install) and adapts
// it to the Kernel contract. Returns null when it was not built or cannot load here;
// IRNN_KERNEL=typescript in the environment skips it on purpose.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CellKind } from '../models/recurrence.js';
import type { BackwardArgs, ForwardArgs, Kernel } from './kernel.js';

interface Addon {
  forward(a: Record<string, unknown>): void;
  backward(a: Record<string, unknown>): void;
  simdWidth: number;
}

const CELL_CODE: Record<CellKind, number> = { rnn_relu: 0, rnn_tanh: 1, lstm: 2, gru: 3 };
const ADDON_PATH = fileURLToPath(new URL('../../build/Release/irnn_kernels.node', import.meta.url));

export interface NativeKernel extends Kernel {
  impl: 'native';
  /** Floats per SIMD register the addon was compiled for (16 = AVX-512, 8 = AVX2). */
  simdWidth: number;
}

let cached: NativeKernel | null | undefined;
let loadError = '';

/** The native kernel, or null (see `nativeLoadError()` for why). */
export function loadNativeKernel(): NativeKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.IRNN_KERNEL === 'typescript') {
    loadError = 'IRNN_KERNEL=typescript';
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    const threads = Number(process.env.IRNN_KERNEL_THREADS ?? 1) || 1;
    // The addon reads one flat object; the projection's fields join it at the top level.
    const call = (fn: (a: Record<string, unknown>) => void) => (a: ForwardArgs | BackwardArgs) =>
      fn({ ...a, ...a.proj, cell: CELL_CODE[a.cell], threads });
    cached = { impl: 'native', forward: call(addon.forward), backward: call(addon.backward), simdWidth: addon.simdWidth };
  } catch (e) {
    loadError = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
  return cached;
}

export function nativeLoadError(): string {
  return loadError;
}
