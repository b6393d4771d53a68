// Chooses and initialises the tfjs backend. `auto` prefers a native TensorFlow binding when one
// is installed (@tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node), else WebAssembly.
// The native packages are optional: they are looked up at run time, never required.
import { UserError } from '../util/errors.js';
import { BACKENDS, findNativeBinding, type BackendName } from '../config/backends.js';

export { BACKENDS, findNativeBinding, type BackendName };

/** Sets the tfjs backend and returns the name of the one in use (e.g. "wasm", "tensorflow"). */
export async function initBackend(wanted: BackendName = 'auto'): Promise<string> {
  // Loaded here, not at the top: commands that only read the store or print configs stay fast.
  const tf = await import('@tensorflow/tfjs');
  if (!BACKENDS.includes(wanted)) {
    throw new UserError(`backend: unknown backend '${wanted}'; valid: ${BACKENDS.join(', ')}`);
  }
  if (wanted === 'tensorflow' || wanted === 'auto') {
    const native = findNativeBinding();
    if (native) {
      // The binding registers the 'tensorflow' backend when it is imported.
      await import(native);
      await tf.setBackend('tensorflow');
      await tf.ready();
      return tf.getBackend();
    }
    if (wanted === 'tensorflow') {
      throw new UserError(
        "backend=tensorflow needs @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu (npm install it on a machine with internet access); use backend=wasm or backend=cpu",
      );
    }
  }
  const name = wanted === 'cpu' ? 'cpu' : 'wasm';
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm'); // registers the backend once
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new UserError(`backend: could not initialise the ${name} backend`);
  }
  await tf.ready();
  return tf.getBackend();
}
