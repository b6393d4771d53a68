// The trainer's native path: where the fused engine applies (one-directional layers; a readout of
// the last state scored by squared error or cross-entropy, or of every state by cross-entropy;
// plain SGD, momentum or Adam), a whole training step is one native call on the variables' memory
// (src/kernels/step.ts), with no tfjs op. Elsewhere `nativeStep` gives null and the trainer runs
// its tfjs path. The weights, the optimizer's state and the carried state stay in the same tfjs
// variables and tensors as on the tfjs path, so checkpoints, evaluation and resume see no difference.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import { withArrays } from '../kernels/buffers.js';
import { readoutThreads } from '../kernels/readout.js';
import { nativeTrainStep, type StepArgs, type StepOptimizer } from '../kernels/step.js';
import type { SequenceModel } from '../models/index.js';
import type { CarryState } from '../models/sequence.js';
import type { Batch, Task } from '../tasks/task.js';
import { FusedAdam } from './adam.js';

/** How an optimizer's state enters the step: its kind, hyperparameters and state variables per
 *  model variable, and what moves on after an update (Adam's beta powers, the iteration count). */
interface OptimizerPlan {
  kind: StepOptimizer;
  params(): Omit<StepArgs['optim'], 'kind' | 'clip'>;
  state(names: string[]): { m: tf.Variable[]; v: tf.Variable[] };
  after(): void;
}

/** The tfjs optimizer fields the plans read and update (private in the typings). */
interface SgdFields {
  learningRate: number;
  momentum?: number;
  useNesterov?: boolean;
  accumulations?: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

const sgdParams = (lr: number, momentum = 0) => ({ lr, momentum, b1: 0, b2: 0, eps: 0, c1: 1, c2: 1 });

/** Optimizer plans, most specific class first (momentum is a kind of SGD). Matched through the
 *  prototype chain: tfjs makes `instanceof` true for any optimizer class and any optimizer. */
const PLANS: Array<[new (...a: never[]) => tf.Optimizer, (o: tf.Optimizer) => OptimizerPlan | null]> = [
  [FusedAdam, (o) => {
    const a = o as FusedAdam;
    return {
      kind: 'adam',
      params: () => ({ ...a.hyper(), momentum: 0, ...a.corrections() }),
      state: (names) => a.moments(names),
      after: () => a.advance(),
    };
  }],
  [tf.MomentumOptimizer, (o) => {
    const s = o as unknown as SgdFields;
    if (s.useNesterov) return null;
    return {
      kind: 'momentum',
      params: () => sgdParams(s.learningRate, s.momentum),
      // The accumulations, created as zeros the first time, as tf.train.momentum creates them.
      state: (names) => {
        const acc = (s.accumulations ??= []);
        names.forEach((name, i) => {
          const value = tf.engine().registeredVariables[name]!;
          acc[i] ??= { originalName: `${name}/momentum`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        });
        return { m: names.map((_, i) => acc[i]!.variable), v: [] };
      },
      after: () => s.incrementIterations(),
    };
  }],
  [tf.SGDOptimizer, (o) => {
    const s = o as unknown as SgdFields;
    return { kind: 'sgd', params: () => sgdParams(s.learningRate), state: () => ({ m: [], v: [] }), after: () => s.incrementIterations() };
  }],
];

export interface NativeStep {
  /** One training step on `batch` from the carried state `carry` (null: zeros). Null when this
   *  batch is not covered (a many-to-one batch of sequences with different lengths): the caller
   *  takes the tfjs path for it. `carry` in the result is the state to carry on (with
   *  `task.carryState`), which the caller owns. */
  run(batch: Batch, carry: CarryState | null): { loss: number; carry: CarryState | null } | null;
}

/** The native step for this task, model and optimizer, or null where it does not apply. */
export function nativeStep(o: { task: Task; model: SequenceModel; optimizer: tf.Optimizer; clip: Config['optimizer']['clip'] }): NativeStep | null {
  const { task, model } = o;
  const spec = model.spec;
  const call = nativeTrainStep();
  const plan = PLANS.find(([cls]) => cls.prototype.isPrototypeOf(o.optimizer))?.[1](o.optimizer) ?? null;
  const every = task.mode === 'many-to-many';
  if (!call || !plan || model.engine !== 'fused' || spec.bidirectional || (every && task.objective !== 'xent')) return null;
  const vars = model.variables;
  const names = vars.map((v) => v.name);
  const tokens = task.input.kind === 'tokens';
  const I = tokens ? model.embedding!.shape[1]! : (task.input as { size: number }).size;
  const lstm = spec.cell === 'lstm';
  const layers = spec.layers;

  return {
    run(batch, carry) {
      if (!every && batch.lengths) return null;
      const { batchSize: B, seqLen: T } = batch;
      const H = spec.hidden;
      const keep = !!task.carryState;
      const { m, v } = plan.state(names);
      const hIn = carry?.h ?? [];
      const cIn = lstm ? (carry?.c ?? []) : [];
      const ins: tf.Tensor[] = [...vars, ...m, ...v, ...hIn, ...cIn];
      const shapes = [...vars, ...m, ...v].map((t) => t.shape);
      const carryShapes = keep ? Array.from({ length: (lstm ? 2 : 1) * layers }, () => [B, H]) : [];
      let result = { loss: NaN, norm: NaN };
      const outs = withArrays(ins, [...shapes, ...carryShapes], (arrays, outArrays) => {
        const nv = vars.length;
        const [w, ma, va] = [arrays.slice(0, nv), arrays.slice(nv, nv + m.length), arrays.slice(nv + m.length, nv + m.length + v.length)];
        const rest = arrays.slice(nv + m.length + v.length);
        const [next, m1, v1] = [outArrays.slice(0, nv), outArrays.slice(nv, nv + m.length), outArrays.slice(nv + m.length, nv + m.length + v.length)];
        const carryOut = outArrays.slice(nv + m.length + v.length);
        const perLayer = (xs: Float32Array[]) => Array.from({ length: layers }, (_, l) => xs[l] ?? null);
        result = call({
          cell: spec.cell, layers, B, T, H, I, vocab: tokens ? (task.input as { vocab: number }).vocab : 0, O: task.outputSize,
          readout: every ? 'every' : 'last', objective: task.objective, threads: readoutThreads(),
          ...(tokens ? { ids: batch.x as Int32Array } : { x: batch.x as Float32Array }),
          ...(task.objective === 'mse' ? { y: batch.y as Float32Array } : { cls: batch.y as Int32Array }),
          mask: every ? batch.mask : undefined,
          w, next,
          h0: perLayer(rest.slice(0, hIn.length)), c0: lstm ? perLayer(rest.slice(hIn.length)) : undefined,
          hT: keep ? perLayer(carryOut.slice(0, layers)) : undefined, cT: keep && lstm ? perLayer(carryOut.slice(layers)) : undefined,
          optim: { kind: plan.kind, ...plan.params(), clip: o.clip ?? null },
          ...(m.length ? { m: ma, m1 } : {}),
          ...(v.length ? { v: va, v1 } : {}),
        });
      });
      // The variables take over the new values (the tensors made for them are then released).
      const targets = [...vars, ...m, ...v];
      targets.forEach((t, i) => t.assign(outs[i]!));
      tf.dispose(outs.slice(0, targets.length));
      plan.after();
      const c = outs.slice(targets.length) as tf.Tensor2D[];
      return { loss: Math.fround(result.loss), carry: keep ? { h: c.slice(0, layers), c: c.slice(layers) } : null };
    },
  };
}
