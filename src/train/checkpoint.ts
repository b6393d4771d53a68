// A trainer's whole state as checkpoint content, and back: weights, optimizer slots (moments,
// iteration count and the optimizer's own scalars such as Adam's running beta powers), the
// training RNG stream, the data position, and the carried truncated-BPTT state. Restoring it into a
// fresh trainer built from the same config continues bit for bit where the saved one stopped.
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import type { CarryState } from '../models/sequence.js';
import type { Batch, Task } from '../tasks/task.js';
import type { Rng, RngState } from '../util/rng.js';
import type { CheckpointTensor } from './checkpoint-file.js';

/** Where the training data stream stands: how many batches were drawn, and the RNG position just
 *  before the last one with that batch (kept so the position can be found again, see seekData). */
export interface DataCursor {
  batches: number;
  before: RngState | null;
  last: Batch | null;
}

/** The live parts of a trainer that a checkpoint covers. */
export interface TrainerParts {
  variables: tf.Variable[];
  optimizer: tf.Optimizer;
  rng: Rng;
  carry: CarryState | null;
  cursor: DataCursor;
}

export interface TrainerMeta {
  rng: RngState;
  batches: number;
  lastBatch: { before: RngState; hash: string } | null;
  /** Names of the optimizer's slot variables in its own order, and its other variables by field. */
  optimizer: { iterations: number; slots: string[]; fields: string[] };
  carry: { h: number; c: number } | null;
}

const copy = (t: tf.Tensor): Float32Array => (t.dataSync() as Float32Array).slice();

function batchHash(b: Batch): string {
  const h = createHash('sha256');
  for (const a of [b.x, b.y, b.mask, b.lengths]) if (a) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.update(`${b.batchSize}x${b.seqLen}`).digest('hex');
}

/** An optimizer's variables that are not slots: tfjs keeps Adam's beta1^t and beta2^t as running
 *  products, and rebuilding them with pow() (as its setWeights does) is not bit-exact. */
function optimizerFields(opt: tf.Optimizer): Array<[string, tf.Variable]> {
  return Object.entries(opt).filter((e): e is [string, tf.Variable] => e[1] instanceof tf.Variable);
}

export async function captureTrainer(p: TrainerParts): Promise<{ meta: TrainerMeta; tensors: CheckpointTensor[] }> {
  const tensors: CheckpointTensor[] = p.variables.map((v, i) => ({ name: `weight/${i}`, shape: v.shape, data: copy(v) }));
  const weights = await p.optimizer.getWeights(); // [iterations, ...slots]
  const iterations = (await weights[0]!.tensor.data())[0]!;
  weights[0]!.tensor.dispose();
  const slots = weights.slice(1);
  slots.forEach((s, i) => tensors.push({ name: `slot/${i}`, shape: s.tensor.shape, data: copy(s.tensor) }));
  const fields = optimizerFields(p.optimizer);
  for (const [k, v] of fields) tensors.push({ name: `field/${k}`, shape: v.shape, data: copy(v) });
  if (p.carry) {
    p.carry.h.forEach((t, i) => tensors.push({ name: `carry/h/${i}`, shape: t.shape, data: copy(t) }));
    p.carry.c.forEach((t, i) => tensors.push({ name: `carry/c/${i}`, shape: t.shape, data: copy(t) }));
  }
  const { cursor } = p;
  return {
    meta: {
      rng: p.rng.getState(),
      batches: cursor.batches,
      lastBatch: cursor.last && cursor.before ? { before: cursor.before, hash: batchHash(cursor.last) } : null,
      optimizer: { iterations, slots: slots.map((s) => s.name), fields: fields.map(([k]) => k) },
      carry: p.carry ? { h: p.carry.h.length, c: p.carry.c.length } : null,
    },
    tensors,
  };
}

/** Puts a saved state into a freshly built trainer's parts; returns the carried state to use. */
export async function restoreTrainer(
  p: Omit<TrainerParts, 'carry' | 'cursor'> & { task: Task; batchSize: number },
  saved: { meta: TrainerMeta; tensors: CheckpointTensor[] },
): Promise<{ carry: CarryState | null; cursor: DataCursor }> {
  const byName = new Map(saved.tensors.map((t) => [t.name, t]));
  const get = (name: string): CheckpointTensor => {
    const t = byName.get(name);
    if (!t) throw new Error(`checkpoint: missing tensor ${name}`);
    return t;
  };
  const tensor = (t: CheckpointTensor) => tf.tensor(t.data as Float32Array, t.shape);
  if (byName.has(`weight/${p.variables.length}`) || !byName.has(`weight/${p.variables.length - 1}`)) {
    throw new Error('checkpoint: the model has a different number of weight tensors');
  }
  p.variables.forEach((v, i) => {
    const t = get(`weight/${i}`);
    if (t.shape.join('x') !== v.shape.join('x')) throw new Error(`checkpoint: weight ${i} has shape [${t.shape}], the model [${v.shape}]`);
    tf.tidy(() => v.assign(tensor(t)));
  });
  const { optimizer: o } = saved.meta;
  const named = [
    { name: 'iter', tensor: tf.scalar(o.iterations, 'int32') },
    ...o.slots.map((name, i) => ({ name, tensor: tensor(get(`slot/${i}`)) })),
  ];
  // setWeights replaces the slot variables without disposing the ones it had.
  const had = await p.optimizer.getWeights();
  tf.dispose(had.map((w) => w.tensor));
  await p.optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor)); // the optimizer's variables hold their own references
  const fields = new Map(optimizerFields(p.optimizer));
  for (const k of o.fields) {
    const v = fields.get(k);
    if (!v) throw new Error(`checkpoint: the optimizer has no field ${k}`);
    tf.tidy(() => v.assign(tensor(get(`field/${k}`))));
  }
  const c = saved.meta.carry;
  const carry = c
    ? {
        h: Array.from({ length: c.h }, (_, i) => tensor(get(`carry/h/${i}`)) as tf.Tensor2D),
        c: Array.from({ length: c.c }, (_, i) => tensor(get(`carry/c/${i}`)) as tf.Tensor2D),
      }
    : null;
  const cursor = seekData({ task: p.task, batchSize: p.batchSize, rng: p.rng, meta: saved.meta });
  return { carry, cursor };
}

/** Brings a fresh task's training stream to the saved position. The RNG is set to its state
 *  before the last batch and that batch drawn again: a task that draws from the RNG gives the same
 *  batch at once. A task that keeps its own cursor (language-model windows walk the text in order)
 *  gives another batch, and is replayed call by call up to the saved count, which must end on the
 *  saved batch. Either way the RNG ends at its saved state. */
export function seekData(o: { task: Task; batchSize: number; rng: Rng; meta: TrainerMeta }): DataCursor {
  const { task, batchSize, rng, meta } = o;
  const last = meta.lastBatch;
  let batch: Batch | null = null;
  if (meta.batches > 0 && last) {
    rng.setState(last.before);
    batch = task.trainBatch(batchSize, rng);
    if (batchHash(batch) !== last.hash) {
      for (let i = 1; i < meta.batches; i++) {
        rng.setState(last.before);
        batch = task.trainBatch(batchSize, rng);
      }
      if (batchHash(batch) !== last.hash) throw new Error(`checkpoint: the task's training batches differ from the saved run's (batch ${meta.batches})`);
    }
  }
  rng.setState(meta.rng);
  return { batches: meta.batches, before: last?.before ?? null, last: batch };
}
