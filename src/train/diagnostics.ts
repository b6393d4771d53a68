// Gradient-flow diagnostics, measured at every evaluation when `train.diagnostics` is on: on one
// fixed probe batch, how much of the loss's gradient reaches each lag (‖∂L/∂h_t‖, and ‖∂L/∂c_t‖
// for the LSTM) in every layer and direction, the hidden-state norm over time, dead ReLU units,
// and the spectral health of each recurrent matrix. Plain rows out; run.ts stores them.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import { recordRecurrences, type RecurrenceRecord } from '../kernels/probe.js';
import type { SequenceModel } from '../models/sequence.js';
import type { CellKind } from '../models/recurrence.js';
import type { Batch, Task } from '../tasks/task.js';
import { Rng } from '../util/rng.js';
import { meanLoss, toTensors } from './loss.js';
import { identityDistance, sigmaMax, spectralRadius } from './spectral.js';

/** Per lag (lag 1 = the last step): grad_h, grad_c (LSTM), state_norm. Per matrix (lag 0):
 *  spectral_radius, sigma_max, identity_distance (identity init), dead_fraction (ReLU). */
export type Quantity = 'grad_h' | 'grad_c' | 'state_norm' | 'spectral_radius' | 'sigma_max' | 'identity_distance' | 'dead_fraction';

export interface DiagnosticRow {
  quantity: Quantity;
  layer: number;
  direction: number;
  /** Steps from the end of the sequence, 1..T; 0 for a quantity of the whole layer. */
  lag: number;
  value: number;
}

/** `train.diagnostics: null` (auto) turns them on when the run evaluates at least every this many steps. */
export const AUTO_MAX_EVAL_EVERY = 500;

/** Whether a run measures diagnostics: `train.diagnostics` true or false, or null / `auto`. */
export function diagnosticsOn(train: Config['train']): boolean {
  const v = train['diagnostics'] ?? 'auto';
  return v === 'auto' ? train.eval_every <= AUTO_MAX_EVAL_EVERY : v === true;
}

/** The probe batch comes from this seed whatever the run's seed, so every run of a task (any
 *  model, any seed) is measured on the same sequences. */
const PROBE_SEED = 0;

/** The gate block of W that acts as a plain RNN's recurrent matrix: the LSTM's and GRU's
 *  candidate (g, n); the only block of the plain RNNs. */
const CANDIDATE_BLOCK: Record<CellKind, number> = { rnn_relu: 0, rnn_tanh: 0, lstm: 2, gru: 2 };

/** Root of summed squares per lag (lag = len_b - t for the real steps t < len_b of row b) of a
 *  [T, B] array of row values; `mean` divides by the rows at that lag (an RMS over examples). */
export function byLag(v: (t: number, b: number) => number, T: number, B: number, lengths: Int32Array | undefined, mean: boolean): number[] {
  const sum = new Float64Array(T + 1);
  const n = new Float64Array(T + 1);
  for (let b = 0; b < B; b++) {
    const len = lengths?.[b] ?? T;
    for (let t = 0; t < len; t++) {
      const x = v(t, b);
      sum[len - t]! += x * x;
      n[len - t]! += 1;
    }
  }
  const out: number[] = [];
  for (let lag = 1; lag <= T && n[lag]! > 0; lag++) out.push(Math.sqrt(mean ? sum[lag]! / n[lag]! : sum[lag]!));
  return out;
}

/** Units (of H) whose state is zero at every real step of every probe sequence. */
function deadFraction(r: RecurrenceRecord, lengths: Int32Array | undefined): number {
  const { T, B, H, states } = r;
  const alive = new Uint8Array(H);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < (lengths?.[b] ?? T); t++) {
      const o = (t * B + b) * H;
      for (let j = 0; j < H; j++) if (states![o + j]! > 0) alive[j] = 1;
    }
  }
  return alive.reduce((n, a) => n + (1 - a), 0) / H;
}

/** Block `g` of W [H, G*H] as a square row-major Float64 matrix. */
function block(W: Float32Array, H: number, G: number, g: number): Float64Array {
  const A = new Float64Array(H * H);
  for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) A[i * H + j] = W[i * G * H + g * H + j]!;
  return A;
}

export interface GradientProbe {
  batch: Batch;
  /** Every diagnostic of the model as it is now; changes nothing in it. */
  measure(): DiagnosticRow[];
}

export function createProbe(o: { task: Task; model: SequenceModel; batchSize: number }): GradientProbe {
  const { task, model } = o;
  const rng = new Rng(PROBE_SEED, 'gradient-probe');
  const batch = task.probeBatch ? task.probeBatch(o.batchSize, rng) : task.trainBatch(o.batchSize, rng);
  const dirs = model.spec.bidirectional ? 2 : 1;
  const { cell, hidden: H, init } = model.spec;

  const recordPass = (): RecurrenceRecord[] => {
    let records: RecurrenceRecord[] = [];
    tf.tidy(() => {
      const t = toTensors(task, batch);
      // The gradients themselves are discarded: the backward pass fills the records.
      tf.variableGrads(() => {
        const r = recordRecurrences(() => model.forward(t.x, { lengths: batch.lengths }));
        records = r.records;
        return meanLoss(task, r.result.out, t);
      }, model.variables);
    });
    if (records.length !== model.layers.length * dirs) throw new Error(`diagnostics: expected ${model.layers.length * dirs} recurrences, saw ${records.length}`);
    return records;
  };

  const measure = (): DiagnosticRow[] => {
    const rows: DiagnosticRow[] = [];
    const add = (quantity: Quantity, layer: number, direction: number, lag: number, value: number) =>
      rows.push({ quantity, layer, direction, lag, value });
    recordPass().forEach((r, i) => {
      const [layer, dir] = [Math.floor(i / dirs), i % dirs];
      const { T, B } = r;
      const perLag = (q: Quantity, vals: number[]) => vals.forEach((v, k) => add(q, layer, dir, k + 1, v));
      perLag('grad_h', byLag((t, b) => r.hNorm[t * B + b]!, T, B, batch.lengths, false));
      if (r.cNorm) perLag('grad_c', byLag((t, b) => r.cNorm![t * B + b]!, T, B, batch.lengths, false));
      const stateNorm = (t: number, b: number) => {
        let s = 0;
        for (let j = 0, o = (t * B + b) * H; j < H; j++) s += r.states![o + j]! ** 2;
        return Math.sqrt(s);
      };
      perLag('state_norm', byLag(stateNorm, T, B, batch.lengths, true));
      if (cell === 'rnn_relu') add('dead_fraction', layer, dir, 0, deadFraction(r, batch.lengths));
      const W = model.layers[layer]![dir]!.W.dataSync() as Float32Array;
      const A = block(W, H, W.length / (H * H), CANDIDATE_BLOCK[cell]);
      add('spectral_radius', layer, dir, 0, spectralRadius(A, H));
      add('sigma_max', layer, dir, 0, sigmaMax(A, H));
      if (init === 'identity') add('identity_distance', layer, dir, 0, identityDistance(A, H, model.spec.identityScale ?? 1));
    });
    return rows;
  };

  return { batch, measure };
}
