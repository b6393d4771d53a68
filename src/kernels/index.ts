// Picks the fused-recurrence kernel once per process: the native addon when it loads, else the
// TypeScript loops. Both meet the same contract (kernel.ts) and give the same numbers to ~1e-6.
import type { Kernel } from './kernel.js';
import { loadNativeKernel } from './native.js';
import { typescriptKernel } from './typescript.js';

export function activeKernel(): Kernel {
  return loadNativeKernel() ?? typescriptKernel;
}

export type { Kernel } from './kernel.js';
export { AUX_WIDTH } from './kernel.js';
