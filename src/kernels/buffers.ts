// Hands tensor data to the kernels with as few copies as the backend allows: on the wasm backend
// the kernels read and write the wasm heap in place; elsewhere data moves via dataSync/tf.tensor.
// Also a pool of scratch arrays, so that steady-state training allocates no large buffers.
import * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's BackendWasm (4.x) used here; checked before every use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

function wasmBackend(): WasmBackend | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as Partial<WasmBackend>;
  return typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' ? (b as WasmBackend) : null;
}

/**
 * Allocates float32 tensors of `outShapes`, then calls `fn` with the values of `inputs` and
 * writable arrays for the outputs, and returns the outputs (the caller owns them). On wasm the
 * arrays are views of the heap, created after every allocation (an allocation can grow the heap
 * and detach older views), and valid only during `fn`, which must not call tfjs.
 */
export function withArrays(
  inputs: tf.Tensor[],
  outShapes: number[][],
  fn: (ins: Float32Array[], outs: Float32Array[]) => void,
): tf.Tensor[] {
  const wasm = wasmBackend();
  if (wasm && inputs.every((t) => t.dtype === 'float32')) {
    const infos = outShapes.map((s) => wasm.makeOutput(s, 'float32'));
    fn(inputs.map((t) => wasm.typedArrayFromHeap(t)), infos.map((i) => wasm.typedArrayFromHeap(i)));
    return infos.map((i) => tf.engine().makeTensorFromTensorInfo(i));
  }
  const outs = outShapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
  fn(inputs.map((t) => t.dataSync() as Float32Array), outs);
  return outs.map((o, i) => tf.tensor(o, outShapes[i]!, 'float32'));
}

// Free scratch arrays by length. Arrays taken and never given back (a forward pass without a
// backward one) are simply garbage collected.
const free = new Map<number, Float32Array[]>();
const KEEP_PER_LENGTH = 8;

/** A scratch array of length n, contents undefined. */
export function takeBuffer(n: number): Float32Array {
  return free.get(n)?.pop() ?? new Float32Array(n);
}

export function giveBack(...bufs: (Float32Array | undefined)[]): void {
  for (const b of bufs) {
    if (!b) continue;
    const list = free.get(b.length) ?? [];
    if (list.length < KEEP_PER_LENGTH) list.push(b);
    free.set(b.length, list);
  }
}
