// Adam as one pass per variable: the moments and the weights updated together by one kernel call
// over the tensors' memory (src/kernels/optim.ts; on wasm, views of the heap; the results become
// new tensors that the variables take over), instead of tfjs's thirteen elementwise ops, each a
// full pass over memory (about 50 ms per step for a 2.7M-parameter language model). Same state as tf.train.adam (its
// moment variables, beta powers and iteration count), so getWeights/setWeights work unchanged.
// The native training step (native-step.ts) updates the same state through `moments` and `advance`.
import * as tf from '@tensorflow/tfjs';
import { withArrays } from '../kernels/buffers.js';
import { adamStep } from '../kernels/optim.js';

/** The AdamOptimizer fields this class updates (private in the typings, plain fields at run time). */
interface AdamState {
  accBeta1: tf.Variable; // beta1^t
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

export class FusedAdam extends tf.AdamOptimizer {
  /** The first and second moments of the variables `names` (in the order gradients are applied),
   *  created as zeros the first time, as tf.train.adam creates them. */
  moments(names: string[]): { m: tf.Variable[]; v: tf.Variable[] } {
    const s = this as unknown as AdamState;
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name]!;
      const moment = (suffix: string) => ({ originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) });
      s.accumulatedFirstMoment[i] ??= moment('m');
      s.accumulatedSecondMoment[i] ??= moment('v');
    });
    return { m: names.map((_, i) => s.accumulatedFirstMoment[i]!.variable), v: names.map((_, i) => s.accumulatedSecondMoment[i]!.variable) };
  }

  /** Bias corrections 1 - beta1^t, 1 - beta2^t of the next update, from beta^t kept as float32
   *  variables exactly as tfjs keeps them. */
  corrections(): { c1: number; c2: number } {
    const s = this as unknown as AdamState;
    return { c1: 1 - s.accBeta1.dataSync()[0]!, c2: 1 - s.accBeta2.dataSync()[0]! };
  }

  /** The rate and hyperparameters of the next update. */
  hyper(): { lr: number; b1: number; b2: number; eps: number } {
    return { lr: this.learningRate, b1: this.beta1, b2: this.beta2, eps: this.epsilon };
  }

  /** After an update: the beta powers and the iteration count move on. */
  advance(): void {
    const s = this as unknown as AdamState;
    tf.tidy(() => {
      s.accBeta1.assign(tf.mul(s.accBeta1, this.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }

  override applyGradients(variableGradients: Parameters<tf.Optimizer['applyGradients']>[0]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name]! }));
    const [b1, b2, lr, eps] = [this.beta1, this.beta2, this.learningRate, this.epsilon];
    const { c1, c2 } = this.corrections();
    const { m: ms, v: vs } = this.moments(list.map((e) => e.name));
    list.forEach(({ name, tensor: g }, i) => {
      if (!g) return;
      const value = tf.engine().registeredVariables[name]!;
      const [m, v] = [ms[i]!, vs[i]!];
      const shape = value.shape;
      const [m1, v1, w1] = withArrays([g, m, v, value], [shape, shape, shape], ([ga, ma, va, wa], [mo, vo, wo]) =>
        adamStep({ g: ga!, m: ma!, v: va!, w: wa!, m1: mo!, v1: vo!, w1: wo!, b1, b2, lr, eps, c1, c2 }));
      m.assign(m1!);
      v.assign(v1!);
      value.assign(w1!);
      tf.dispose([m1!, v1!, w1!]);
    });
    this.advance();
  }
}
