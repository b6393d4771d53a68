// The backend names a config may give, and which native TensorFlow binding `auto` would take.
// A leaf module of the config: it validates against it (and sizes runs by it) without loading
// tfjs; the trainer's backend setup (train/backend.ts) reads the same names.
import { createRequire } from 'node:module';

export type BackendName = 'auto' | 'wasm' | 'cpu' | 'tensorflow';
export const BACKENDS: readonly BackendName[] = ['auto', 'wasm', 'cpu', 'tensorflow'];

const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const require = createRequire(import.meta.url);

/** The first native TensorFlow binding that resolves, or null. */
export function findNativeBinding(): string | null {
  for (const name of NATIVE) {
    try {
      require.resolve(name);
      return name;
    } catch {
      // not installed: try the next one
    }
  }
  return null;
}
