// The recurrent rows of `npm run bench`: one training step (batch 16, 100 hidden units, SGD,
// clip 1) of irnn, lstm, gru at T = 150 (adding, 2 inputs) and T = 784 (pixel MNIST, 1 input):
// the fused kernel alone, the whole trainer step (fused and unrolled engines, wasm backend).
import { composeConfig } from '../../src/config/index.js';
import { activeKernel } from '../../src/kernels/index.js';
import { GATES, type CellKind } from '../../src/models/recurrence.js';
import { createTrainer, type Trainer } from '../../src/train/trainer.js';
import { timeIt, type Timing } from './timing.js';

export const B = 16;
export const H = 100;
export const MODELS: Record<string, CellKind> = { irnn: 'rnn_relu', lstm: 'lstm', gru: 'gru' };
export const LENGTHS: Record<number, { input: number; task: string[] }> = {
  150: { input: 2, task: ['task=adding', 'task.seq_len=150'] },
  784: { input: 1, task: ['task=pixel_mnist'] },
};

/** FLOPs of one step's recurrence, forward + backward ~ 3x forward (the convention PyTorch
 *  peers use, so GFLOP/s compare across engines). */
export const rnnFlops = (cell: CellKind, T: number) => 3 * 2 * B * H * (H + LENGTHS[T]!.input) * T * GATES[cell];

/** Forward + backward of the fused kernel alone on ready buffers (no tensors, no copies), with
 *  the input projection inside the kernel as the trainer's fused engine runs it. */
export function kernelOnly(cell: CellKind, T: number, runs: number): Timing {
  const I = LENGTHS[T]!.input;
  const G = GATES[cell];
  const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => (Math.random() - 0.5) * scale);
  const W = cell === 'rnn_relu' ? Float32Array.from({ length: H * H }, (_, i) => (i % (H + 1) === 0 ? 1 : 0)) : rand(H * G * H, 0.2);
  const shape = { cell, T, B, H };
  const k = activeKernel();
  const bufs = {
    W,
    bh: cell === 'gru' ? rand(G * H, 0.1) : undefined,
    h0: new Float32Array(B * H),
    c0: cell === 'lstm' ? new Float32Array(B * H) : undefined,
    states: new Float32Array(T * B * H),
    aux: new Float32Array(k.savedLength(shape)),
    cT: cell === 'lstm' ? new Float32Array(B * H) : undefined,
  };
  const grads = {
    dstates: rand(T * B * H, 0.01),
    dW: new Float32Array(H * G * H),
    dbh: cell === 'gru' ? new Float32Array(G * H) : undefined,
    dh0: new Float32Array(B * H),
    dc0: cell === 'lstm' ? new Float32Array(B * H) : undefined,
  };
  const proj = { I, inp: rand(T * B * I, 2), U: rand(I * G * H, 0.2) };
  const fwd = { ...shape, ...bufs, proj: { ...proj, b: rand(G * H, 0.1) } };
  const bwd = { ...shape, ...bufs, ...grads,
    proj: { ...proj, dinp: new Float32Array(T * B * I), dU: new Float32Array(I * G * H), db: new Float32Array(G * H) } };
  return timeIt(() => {
    k.forward(fwd);
    k.backward(bwd);
  }, { warmup: 20, runs }); // as many warm-up calls as the trainer step gets
}

export async function rnnTrainer(model: string, T: number, engine: 'fused' | 'unrolled'): Promise<Trainer> {
  const overrides = [`model=${model}`, ...LENGTHS[T]!.task, `model.engine=${engine}`, 'backend=wasm',
    `train.batch_size=${B}`, `model.hidden=${H}`, 'optimizer=sgd', 'optimizer.clip=1'];
  return createTrainer({ cfg: composeConfig({ overrides }).config });
}

/** Median ms of `trainer.step()`. tfjs and V8 need some 20 steps to settle (the first steps of an
 *  IRNN cost twice the later ones); `warmup` = 0 once a trainer has been timed before. */
export function trainerStep(trainer: Trainer, o: { warmup: number; runs: number }): Timing {
  return timeIt(() => trainer.step(), o);
}
