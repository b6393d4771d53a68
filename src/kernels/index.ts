// Picks the fused-recurrence kernel once per process: the native addon when it loads, else the
// TypeScript loops. Both meet the same contract (kernel.ts) and give the same numbers to ~1e-6.
import type { Kernel } from './kernel.js';
import { loadNativeKernel } from './native.js';
import { typescriptKernel } from './typescript.js';

export function activeKernel(): Kernel {
  return loadNativeKernel() ?? typescriptKernel;
}

/** What a run records about its recurrence: the kernel implementation behind the fused engine
 *  and the native build's SIMD width; null for the unrolled engine, which runs no kernel. */
export function kernelInUse(engine: string): { impl: Kernel['impl']; simdWidth: number | null } | null {
  if (engine !== 'fused') return null;
  const k = activeKernel();
  return { impl: k.impl, simdWidth: 'simdWidth' in k ? (k.simdWidth as number) : null };
}

export type { Kernel } from './kernel.js';
export { AUX_WIDTH } from './kernel.js';
