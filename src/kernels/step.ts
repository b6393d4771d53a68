// The native training step's contract (native/step.h): one call runs a recurrent model's whole
// training step on flat arrays (forward, readout and loss, backward, clipping, the update). Null
// when the addon is not loaded. Arrays only: the trainer's side (tensors, variables, optimizer
// state) is src/train/native-step.ts.
import type { CellKind } from './contract.js';
import { loadNativeKernel, nativeAddon } from './native.js';

export const STEP_OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export type StepOptimizer = (typeof STEP_OPTIMIZERS)[number];

export interface StepArgs {
  cell: CellKind;
  layers: number;
  B: number;
  T: number;
  H: number;
  /** Input features, or the embedding width with token input. */
  I: number;
  /** > 0: token input through an embedding [vocab, I] (the first variable). */
  vocab: number;
  O: number;
  /** The readout reads the last state (squared error or cross-entropy) or every state (cross-entropy). */
  readout: 'last' | 'every';
  objective: 'mse' | 'xent';
  /** Threads of the softmax readout of every state. */
  threads: number;
  x?: Float32Array; // [B, T, I] dense input
  ids?: Int32Array; // [B, T] token input
  y?: Float32Array; // [B, O] squared-error targets
  cls?: Int32Array; // [B] or [B, T] class targets
  mask?: Float32Array; // [B, T] weights of the targets (every state)
  /** The model's variables in its order ([embedding], per layer U b W [bh], V, c); `next` gets
   *  the updated values (it may be `w` itself); `grad`, when given, the gradients of the mean loss
   *  before clipping. */
  w: Float32Array[];
  next: Float32Array[];
  grad?: (Float32Array | null)[];
  /** Per layer [B, H]: initial states (null: zeros) and final states out (null: not wanted). */
  h0?: (Float32Array | null)[];
  c0?: (Float32Array | null)[];
  hT?: (Float32Array | null)[];
  cT?: (Float32Array | null)[];
  optim: { kind: StepOptimizer; lr: number; momentum: number; b1: number; b2: number; eps: number; c1: number; c2: number; clip: number | null };
  /** Optimizer state per variable, read from m, v and written to m1, v1 (which may be m, v):
   *  momentum's accumulation (m), Adam's moments (m, v). */
  m?: Float32Array[];
  v?: Float32Array[];
  m1?: Float32Array[];
  v1?: Float32Array[];
}

export interface StepResult {
  /** Mean loss per target (per output unit for squared error). */
  loss: number;
  /** Global gradient norm before clipping. */
  norm: number;
}

const CELL: Record<CellKind, number> = { rnn_relu: 0, rnn_tanh: 1, lstm: 2, gru: 3 };

/** The native step, or null when the addon is not loaded. */
export function nativeTrainStep(): ((a: StepArgs) => StepResult) | null {
  const addon = loadNativeKernel() ? nativeAddon() : null;
  if (!addon || typeof addon.trainStep !== 'function') return null;
  return (a) =>
    addon.trainStep({
      ...a,
      cell: CELL[a.cell],
      readout: a.readout === 'every' ? 1 : 0,
      objective: a.objective === 'xent' ? 1 : 0,
      optim: { ...a.optim, kind: STEP_OPTIMIZERS.indexOf(a.optim.kind), clip: a.optim.clip ?? -1 },
    });
}
