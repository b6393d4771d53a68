// Initial weights, drawn from the run's own generator (not tf.random*) so that a config and a
// seed give the same network on every backend. The registry maps `model.init` to the recurrent
// matrix's initialiser; input weights are always N(0, input_std^2), biases 0 (+ LSTM forget bias).
import type { Rng } from '../util/rng.js';

export interface RecurrentInit {
  hidden: number;
  gates: number;
  rng: Rng;
  identityScale?: number;
  recurrentStd?: number;
}

/** [H, G*H] row-major: row j holds the weights from h_{t-1}[j] into every gate unit. */
export const INITIALIZERS = {
  /** scale * I in every gate block (IRNN: one block, so W = scale * I exactly). */
  identity: (o: RecurrentInit): Float32Array => {
    const { hidden: H, gates: G } = o;
    const w = new Float32Array(H * G * H);
    const scale = o.identityScale ?? 1;
    for (let g = 0; g < G; g++) for (let j = 0; j < H; j++) w[j * G * H + g * H + j] = scale;
    return w;
  },
  /** N(0, recurrent_std^2). */
  gaussian: (o: RecurrentInit): Float32Array =>
    o.rng.fillNormal(new Float32Array(o.hidden * o.gates * o.hidden), 0, o.recurrentStd ?? 0.001),
} satisfies Record<string, (o: RecurrentInit) => Float32Array>;

export type InitName = keyof typeof INITIALIZERS;
