// Recurrent sequence models: an optional token embedding, stacked recurrent layers (one or two
// directions each), and a linear readout of the last state (many-to-one) or of every state
// (many-to-many). o_t = g(V s_t + V' s'_t) is one linear map of the concatenated [s_t, s'_t].
// Each layer and direction is ONE `recurrence` call over the whole sequence; no loop over time here.
import * as tf from '@tensorflow/tfjs';
import type { Task } from '../tasks/task.js';
import { Rng } from '../util/rng.js';
import { timeStep } from '../kernels/timestep.js';
import { activeReadout, softmaxXentSum } from '../kernels/readout.js';
import type { ReadoutKernel } from '../kernels/readout-kernel.js';
import { gatherRows } from './gather.js';
import { matMul } from './matmul.js';
import { INITIALIZERS, type InitName } from './initializers.js';
import { GATES, recurrence, resolveEngine, type CellKind, type Engine } from './recurrence.js';

export interface ModelSpec {
  cell: CellKind;
  hidden: number;
  layers: number;
  bidirectional: boolean;
  init: InitName;
  identityScale?: number;
  inputStd: number;
  recurrentStd?: number;
  forgetBias?: number;
  engine: Engine;
  input: Task['input'];
  /** Embedding width for token inputs. */
  embedSize?: number;
  outputSize: number;
  mode: Task['mode'];
  seed: number;
}

/** Hidden (and LSTM cell) state per layer, forward direction only: what truncated BPTT carries. */
export interface CarryState {
  h: tf.Tensor2D[];
  c: tf.Tensor2D[];
}

interface Direction {
  U: tf.Variable; // [in, G*H]
  b: tf.Variable; // [G*H]
  W: tf.Variable; // [H, G*H]
  bh?: tf.Variable; // [G*H], GRU only
}

export interface ForwardOptions {
  /** [B] real lengths; the backward direction starts at lengths[b] - 1. */
  lengths?: Int32Array;
  /** Initial state (forward directions only), e.g. carried from the previous window. */
  state?: CarryState;
  /** Also return the final forward states (truncated BPTT carries them); otherwise `state` is
   *  empty and nothing extra is computed. */
  keepState?: boolean;
}

export class SequenceModel {
  readonly spec: ModelSpec;
  readonly engine: 'fused' | 'unrolled';
  readonly layers: Direction[][] = [];
  readonly embedding?: tf.Variable; // [V, E]
  readonly V: tf.Variable; // [H * dirs, O]
  readonly c: tf.Variable; // [O]

  constructor(spec: ModelSpec) {
    this.spec = spec;
    this.engine = resolveEngine(spec.engine);
    const rng = new Rng(spec.seed, 'model-init');
    const H = spec.hidden;
    const G = GATES[spec.cell];
    const dirs = spec.bidirectional ? 2 : 1;
    const normal = (shape: number[], std: number) =>
      tf.variable(tf.tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0, std), shape));
    let inSize: number;
    if (spec.input.kind === 'tokens') {
      const E = spec.embedSize ?? H;
      this.embedding = normal([spec.input.vocab, E], 0.1);
      inSize = E;
    } else {
      inSize = spec.input.size;
    }
    for (let l = 0; l < spec.layers; l++) {
      const layer: Direction[] = [];
      for (let d = 0; d < dirs; d++) {
        const bias = new Float32Array(G * H);
        if (spec.cell === 'lstm') bias.fill(spec.forgetBias ?? 1, H, 2 * H); // gate order i, f, g, o
        const W = INITIALIZERS[spec.init]({
          hidden: H,
          gates: G,
          rng,
          identityScale: spec.identityScale,
          recurrentStd: spec.recurrentStd,
        });
        layer.push({
          U: normal([inSize, G * H], spec.inputStd),
          b: tf.variable(tf.tensor1d(bias)),
          W: tf.variable(tf.tensor2d(W, [H, G * H])),
          bh: spec.cell === 'gru' ? tf.variable(tf.zeros([G * H])) : undefined,
        });
      }
      this.layers.push(layer);
      inSize = H * dirs;
    }
    this.V = normal([inSize, spec.outputSize], 1 / Math.sqrt(inSize));
    this.c = tf.variable(tf.zeros([spec.outputSize]));
  }

  get variables(): tf.Variable[] {
    const out: tf.Variable[] = this.embedding ? [this.embedding] : [];
    for (const layer of this.layers) for (const d of layer) out.push(d.U, d.b, d.W, ...(d.bh ? [d.bh] : []));
    out.push(this.V, this.c);
    return out;
  }

  get paramCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  /** x: [B, T, I] float or [B, T] int32 token ids. Returns [B, O] or [B, T, O] pre-activation
   *  outputs and, with `keepState`, the final forward states. The caller disposes everything. */
  forward(x: tf.Tensor, opts: ForwardOptions = {}): { out: tf.Tensor; state: CarryState } {
    const { spec } = this;
    const state: CarryState = { h: [], c: [] };
    const out = tf.tidy(() => {
      const seq = this.features(x, opts, state); // [T, B, F]
      const [T, B, F] = seq.shape;
      if (spec.mode === 'many-to-one') {
        const last = lastStep(seq, opts.lengths, spec.hidden); // [B, F]
        return tf.add(matMul(last, this.V as tf.Tensor2D), this.c);
      }
      const o = tf.add(matMul(tf.reshape(seq, [T * B, F]) as tf.Tensor2D, this.V as tf.Tensor2D), this.c);
      return tf.transpose(tf.reshape(o, [T, B, spec.outputSize]), [1, 0, 2]); // [B, T, O]
    });
    return { out, state };
  }

  /** Whether `xentSum` can score this model: many-to-many, and a fused readout kernel exists. */
  get fusedReadout(): boolean {
    return this.spec.mode === 'many-to-many' && this.readout !== null;
  }

  /** Summed softmax cross-entropy of many-to-many class targets y [B, T] (weighted by mask
   *  [B, T] when given) through the fused readout: the [B, T, O] logits are never a tensor, and
   *  the readout's gradients come from the same pass. Returns the sum as a scalar and, with
   *  `keepState`, the final forward states. The caller disposes them. */
  xentSum(x: tf.Tensor, y: Int32Array, opts: ForwardOptions & { mask?: Float32Array } = {}): { sum: tf.Scalar; state: CarryState } {
    const kernel = this.readout;
    if (!kernel || this.spec.mode !== 'many-to-many') throw new Error('xentSum: this model has no fused readout');
    const state: CarryState = { h: [], c: [] };
    const [B, T] = x.shape as [number, number];
    // The features are time-major rows (t, b); targets and weights are [B, T]: reorder those.
    const yt = new Int32Array(B * T);
    const wt = opts.mask ? new Float32Array(B * T) : undefined;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        yt[t * B + b] = y[b * T + t]!;
        if (wt) wt[t * B + b] = opts.mask![b * T + t]!;
      }
    }
    const sum = tf.tidy(() => {
      const seq = this.features(x, opts, state);
      const rows = tf.reshape(seq, [T * B, seq.shape[2]]) as tf.Tensor2D;
      return softmaxXentSum({ x: rows, W: this.V as tf.Tensor2D, c: this.c as tf.Tensor1D, y: yt, weight: wt, kernel });
    });
    return { sum, state };
  }

  /** The fused readout kernel, with the fused engine only (unrolled = the plain tfjs reference). */
  private get readout(): ReadoutKernel | null {
    return this.engine === 'fused' ? activeReadout() : null;
  }

  /** The top layer's states [T, B, F] (time-major), the embedding looked up first for token
   *  input; call inside tf.tidy. With `keepState` the final forward states go into `state`. */
  private features(x: tf.Tensor, opts: ForwardOptions, state: CarryState): tf.Tensor3D {
    const { spec } = this;
    const [B, T] = x.shape as [number, number];
    const H = spec.hidden;
    let seq: tf.Tensor3D; // [T, B, I]
    if (this.embedding) {
      // Token ids in time-major order, looked up as rows of the embedding matrix.
      const xt = tf.transpose(x, [1, 0]);
      const ids = xt.dataSync() as Int32Array;
      xt.dispose();
      seq = tf.reshape(gatherRows(this.embedding as tf.Tensor2D, ids), [T, B, -1]);
    } else {
      seq = tf.transpose(x, [1, 0, 2]) as tf.Tensor3D;
    }
    for (let l = 0; l < this.layers.length; l++) {
      const outs: tf.Tensor3D[] = [];
      this.layers[l]!.forEach((p, d) => {
        const backward = d === 1;
        const src = backward ? reverseTime(seq, opts.lengths) : seq;
        const h0 = (!backward && opts.state?.h[l]) || tf.zeros([B, H]);
        const c0 = spec.cell === 'lstm' ? (!backward && opts.state?.c[l]) || tf.zeros([B, H]) : undefined;
        // The engine projects the input (x_t U + b for all t at once) and runs the recurrence.
        const input = { x: src, U: p.U as tf.Tensor2D, b: p.b as tf.Tensor1D };
        const r = recurrence({ cell: spec.cell, input, W: p.W as tf.Tensor2D, bh: p.bh as tf.Tensor1D | undefined, h0: h0 as tf.Tensor2D, c0: c0 as tf.Tensor2D | undefined, engine: this.engine });
        if (!backward && opts.keepState) {
          state.h.push(tf.keep(timeStep(r.states, T - 1)));
          if (r.cT) state.c.push(tf.keep(r.cT));
        }
        outs.push(backward ? reverseTime(r.states, opts.lengths) : r.states);
      });
      seq = outs.length === 2 ? (tf.concat(outs, 2) as tf.Tensor3D) : outs[0]!; // [T, B, H * dirs]
    }
    return seq;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/** Reverses time within each sequence's real length: out[t, b] = in[len_b - 1 - t, b] for t < len_b;
 *  padding steps stay where they are, so a backward pass starts at the last real step. */
export function reverseTime(seq: tf.Tensor3D, lengths?: Int32Array): tf.Tensor3D {
  const [T, B, F] = seq.shape;
  if (!lengths) return tf.reverse(seq, 0);
  const idx = new Int32Array(T * B);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const len = lengths[b]!;
      idx[t * B + b] = (t < len ? len - 1 - t : t) * B + b;
    }
  }
  return tf.reshape(gatherRows(tf.reshape(seq, [T * B, F]), idx), [T, B, F]);
}

/** The summary of a sequence for many-to-one readout: the forward state at the last real step
 *  and, for a bidirectional layer, the backward state at t = 0 (which has read the whole sequence). */
function lastStep(seq: tf.Tensor3D, lengths: Int32Array | undefined, H: number): tf.Tensor2D {
  const [T, B, F] = seq.shape;
  const idx = new Int32Array(B);
  for (let b = 0; b < B; b++) idx[b] = ((lengths?.[b] ?? T) - 1) * B + b;
  if (!lengths) {
    // timeStep copies one step; tf.slice would first read the whole sequence off the wasm heap.
    const fwd = timeStep(seq, T - 1);
    if (F === H) return fwd;
    return tf.concat([tf.slice(fwd, [0, 0], [B, H]), tf.slice(timeStep(seq, 0), [0, H], [B, H])], 1) as tf.Tensor2D;
  }
  const flat = tf.reshape(seq, [T * B, F]) as tf.Tensor2D;
  const fwd = tf.slice(gatherRows(flat, idx), [0, 0], [B, H]);
  if (F === H) return fwd as tf.Tensor2D;
  const bwd = tf.slice(seq, [0, 0, H], [1, B, H]).reshape([B, H]);
  return tf.concat([fwd, bwd], 1) as tf.Tensor2D;
}
