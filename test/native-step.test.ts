// The native training step (native/step.h through src/train/native-step.ts): its gradients of one
// batch against the unrolled tfjs graph (every cell; the last state by squared error and by
// cross-entropy, every state of a language model with a mask, stacked layers, an embedding, a
// carried state) and against central finite differences of its own loss; training through the
// trainer gives the tfjs path's loss curve and weights with SGD, momentum and Adam; where it
// applies and where the trainer keeps tfjs; no tensor left behind; the addon's argument checks.
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { composeConfig } from '../src/config/index.js';
import { nativeAddon } from '../src/kernels/native.js';
import { nativeTrainStep, type StepArgs } from '../src/kernels/step.js';
import { buildModel, type SequenceModel } from '../src/models/index.js';
import { TASKS } from '../src/tasks/index.js';
import type { Batch, Task } from '../src/tasks/task.js';
import { initBackend } from '../src/train/backend.js';
import { meanLoss, toTensors } from '../src/train/loss.js';
import { createTrainer } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';

test.before(async () => {
  await initBackend('wasm');
});

const LM = ['task=lm_words', 'task.vocab_size=300', 'task.embed_size=6', 'task.bptt=7', 'task.eval_tokens=200'];

async function setup(overrides: string[], B: number) {
  const cfg = composeConfig({ overrides: [...overrides, 'backend=wasm', 'model.engine=unrolled'] }).config;
  const task: Task = await TASKS[cfg.task.name as keyof typeof TASKS](cfg.task, { seed: 0, cacheDir: 'results/cache' });
  const model = buildModel({ config: cfg, task });
  const batch = task.trainBatch(B, new Rng(4, 'native-step-test'));
  return { task, model, batch };
}

/** The native step's arguments for one batch, plain SGD at rate 0 (nothing moves), gradients out. */
function argsFor(task: Task, model: SequenceModel, batch: Batch, w: Float32Array[], carry?: { h: Float32Array[]; c: Float32Array[] }): StepArgs {
  const tokens = task.input.kind === 'tokens';
  return {
    cell: model.spec.cell, layers: model.spec.layers, B: batch.batchSize, T: batch.seqLen, H: model.spec.hidden,
    I: tokens ? model.embedding!.shape[1]! : (task.input as { size: number }).size, vocab: tokens ? (task.input as { vocab: number }).vocab : 0,
    O: task.outputSize, readout: task.mode === 'many-to-many' ? 'every' : 'last', objective: task.objective, threads: 1,
    ...(tokens ? { ids: batch.x as Int32Array } : { x: batch.x as Float32Array }),
    ...(task.objective === 'mse' ? { y: batch.y as Float32Array } : { cls: batch.y as Int32Array }),
    mask: batch.mask,
    w, next: w.map((a) => new Float32Array(a.length)), grad: w.map((a) => new Float32Array(a.length)),
    h0: carry?.h, c0: carry?.c,
    optim: { kind: 'sgd', lr: 0, momentum: 0, b1: 0, b2: 0, eps: 0, c1: 1, c2: 1, clip: null },
  };
}

/** The reference: loss and gradients of the mean loss through the unrolled tfjs graph. */
function reference(task: Task, model: SequenceModel, batch: Batch, carry?: { h: tf.Tensor2D[]; c: tf.Tensor2D[] }) {
  return tf.tidy(() => {
    const t = toTensors(task, batch);
    const { value, grads } = tf.variableGrads(() => meanLoss(task, model.forward(t.x, { state: carry }).out, t), model.variables);
    return { loss: value.dataSync()[0]!, grads: model.variables.map((v) => grads[v.name]!.dataSync() as Float32Array) };
  });
}

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0;
  let den = 1e-30;
  for (let i = 0; i < b.length; i++) [num, den] = [num + (a[i]! - b[i]!) ** 2, den + b[i]! ** 2];
  return Math.sqrt(num / den);
};

const CASES: Array<[string, string[], number]> = [
  ['adding (squared error of the last state)', ['task.seq_len=9', 'model.hidden=12'], 5],
  ['adding, 2 layers, batch of 40 (three vectors of rows)', ['task.seq_len=6', 'model.hidden=7', 'model.layers=2'], 40],
  ['adding, batch of 70 (two blocks of rows)', ['task.seq_len=5', 'model.hidden=9'], 70],
  ['pixel MNIST 7x7 (cross-entropy of the last state)', ['task=pixel_mnist', 'task.source=small', 'task.downsample=7', 'model.hidden=10'], 6],
  ['lm_words, 2 layers (cross-entropy of every state)', [...LM, 'model.hidden=8', 'model.layers=2'], 4],
];

for (const cell of ['irnn', 'rnn_tanh', 'lstm', 'gru']) {
  for (const [name, overrides, B] of CASES) {
    test.serial(`${cell}, ${name}: the native step's loss and gradients match the unrolled graph`, async (t) => {
      const init = cell === 'irnn' ? 'model.identity_scale=0.9' : 'model.recurrent_std=0.3';
      const { task, model, batch } = await setup([`model=${cell}`, ...overrides, 'model.input_std=0.3', init], B);
      const ref = reference(task, model, batch);
      const a = argsFor(task, model, batch, model.variables.map((v) => v.dataSync() as Float32Array));
      const r = nativeTrainStep()!(a);
      t.true(Math.abs(r.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss), `loss ${r.loss} vs ${ref.loss}`);
      ref.grads.forEach((g, i) => t.true(relErr(a.grad![i]!, g) < 1e-4, `${model.variables[i]!.name}: ${relErr(a.grad![i]!, g)}`));
      t.true(Math.abs(r.norm - Math.hypot(...ref.grads.flatMap((g) => [...g]))) <= 1e-4 * r.norm, 'the norm');
      a.next.forEach((n, i) => t.deepEqual(n, a.w[i], 'rate 0: the weights stay'));
      model.dispose();
    });
  }
}

test.serial('a carried state (truncated BPTT) enters the native step as the tfjs graph takes it', async (t) => {
  const { task, model, batch } = await setup(['model=lstm', ...LM, 'model.hidden=8', 'model.layers=2'], 3);
  const rng = new Rng(9, 'carry');
  const fill = () => rng.fillNormal(new Float32Array(3 * 8), 0, 0.5);
  const carry = { h: [fill(), fill()], c: [fill(), fill()] };
  const tensors = { h: carry.h.map((h) => tf.tensor2d(h, [3, 8])), c: carry.c.map((c) => tf.tensor2d(c, [3, 8])) };
  const ref = reference(task, model, batch, tensors);
  const a = argsFor(task, model, batch, model.variables.map((v) => v.dataSync() as Float32Array), carry);
  const r = nativeTrainStep()!(a);
  t.true(Math.abs(r.loss - ref.loss) <= 1e-5 * ref.loss);
  ref.grads.forEach((g, i) => t.true(relErr(a.grad![i]!, g) < 1e-4, `${model.variables[i]!.name}: ${relErr(a.grad![i]!, g)}`));
  tf.dispose([...tensors.h, ...tensors.c]);
  model.dispose();
});

test.serial('the native step\'s gradients match central finite differences of its own loss', async (t) => {
  for (const [cell, overrides] of [['gru', ['task.seq_len=6']], ['lstm', LM]] as const) {
    const { task, model, batch } = await setup([`model=${cell}`, ...overrides, 'model.hidden=6', 'model.input_std=0.5', 'model.recurrent_std=0.5'], 3);
    const w = model.variables.map((v) => Float32Array.from(v.dataSync()));
    const step = nativeTrainStep()!;
    const a = argsFor(task, model, batch, w);
    step(a);
    const loss = () => step({ ...argsFor(task, model, batch, w), grad: undefined }).loss;
    w.forEach((wk, k) => {
      // The largest gradients of each variable: float32 differences resolve them well.
      const order = [...a.grad![k]!.keys()].sort((i, j) => Math.abs(a.grad![k]![j]!) - Math.abs(a.grad![k]![i]!)).slice(0, 3);
      for (const i of order) {
        const keep = wk[i]!;
        const eps = 2e-3;
        wk[i] = keep + eps;
        const up = loss();
        wk[i] = keep - eps;
        const down = loss();
        wk[i] = keep;
        const fd = (up - down) / (2 * eps);
        const an = a.grad![k]![i]!;
        t.true(Math.abs(fd - an) <= 2e-3 + 2e-2 * Math.abs(an), `${cell} ${model.variables[k]!.name}[${i}]: analytic ${an}, finite difference ${fd}`);
      }
    });
    model.dispose();
  }
});

const STEPS = 12;
async function curve(overrides: string[], native: boolean) {
  const trainer = await createTrainer({ cfg: composeConfig({ overrides: [...overrides, 'backend=wasm'] }).config, nativeStep: native });
  const used = trainer.nativeStep;
  const losses = Array.from({ length: STEPS }, () => trainer.step());
  const weights = trainer.model.variables.map((v) => Float32Array.from(v.dataSync()));
  const metrics = trainer.evaluate();
  trainer.dispose();
  return { used, losses, weights, metrics };
}

for (const [name, overrides] of [
  ['irnn, plain SGD with clipping', ['model=irnn', 'optimizer=sgd', 'optimizer.lr=0.05', 'optimizer.clip=0.5']],
  ['gru, SGD with momentum', ['model=gru', 'optimizer=sgd', 'optimizer.lr=0.02', 'optimizer.momentum=0.9']],
  ['lstm, Adam, learning-rate decay', ['model=lstm', 'optimizer=adam', 'optimizer.lr=0.01', 'optimizer.lr_half_life=5']],
  ['4-layer irnn language model, Adam, state carried', [...LM, 'model=irnn', 'model.layers=4', 'task.carry_state=true']],
] as const) {
  test.serial(`${name}: the native step trains exactly as the tfjs path, to float32 rounding`, async (t) => {
    const common = [...overrides, 'task.seq_len=10', 'task.test_size=40', 'model.hidden=12', 'train.batch_size=6'].filter(
      (o) => !(overrides[0] === 'task=lm_words' && o.startsWith('task.seq_len')) && !(overrides[0] === 'task=lm_words' && o.startsWith('task.test_size')));
    const [a, b] = [await curve(common, true), await curve(common, false)];
    t.true(a.used && !b.used);
    t.not(a.losses[0], a.losses[STEPS - 1]);
    a.losses.forEach((l, i) => t.true(Math.abs(l - b.losses[i]!) <= 1e-5 * Math.max(1, Math.abs(b.losses[i]!)), `step ${i}: native ${l}, tfjs ${b.losses[i]}`));
    a.weights.forEach((w, i) => t.true(relErr(w, b.weights[i]!) < 1e-5, `weight ${i}: ${relErr(w, b.weights[i]!)}`));
    for (const [k, v] of Object.entries(b.metrics)) t.true(Math.abs(a.metrics[k]! - v) <= 1e-4 * Math.max(1, Math.abs(v)), `${k}: ${a.metrics[k]} vs ${v}`);
  });
}

test.serial('the trainer keeps tfjs where the native step does not apply', async (t) => {
  const uses = async (o: string[]) => {
    const trainer = await createTrainer({ cfg: composeConfig({ overrides: [...o, 'task.seq_len=5', 'task.test_size=10', 'model.hidden=4', 'backend=wasm'] }).config });
    const n = trainer.nativeStep;
    trainer.dispose();
    return n;
  };
  t.true(await uses([]));
  t.false(await uses(['model.bidirectional=true']));
  t.false(await uses(['model.engine=unrolled']));
  t.false(await uses(['optimizer=rmsprop']));
});

test.serial('a native step leaves no tensor behind once the optimizer\'s state exists', async (t) => {
  for (const o of [['optimizer=adam'], ['optimizer=sgd', 'optimizer.momentum=0.5'], [...LM, 'model=lstm', 'task.carry_state=true']]) {
    const trainer = await createTrainer({ cfg: composeConfig({ overrides: [...o, 'task.seq_len=5', 'model.hidden=4', 'backend=wasm'].filter((x) => !(o[0] === 'task=lm_words' && x.startsWith('task.seq_len'))) }).config });
    trainer.step();
    const before = tf.memory().numTensors;
    trainer.step();
    trainer.step();
    t.is(tf.memory().numTensors, before, o.join(' '));
    trainer.dispose();
  }
});

test('the addon rejects wrong buffers, ids and classes instead of reading past them', (t) => {
  const addon = nativeAddon()!;
  const [B, T, H, I, O] = [2, 3, 4, 1, 1];
  const w = [I * H, H, H * H, H * O, O].map((n) => new Float32Array(n));
  const ok = {
    cell: 0, layers: 1, B, T, H, I, vocab: 0, O, readout: 0, objective: 0, x: new Float32Array(B * T * I), y: new Float32Array(B * O),
    w, next: w, optim: { kind: 0, lr: 0.1, momentum: 0, b1: 0, b2: 0, eps: 0, c1: 1, c2: 1, clip: -1 },
  };
  t.notThrows(() => addon.trainStep(ok));
  t.throws(() => addon.trainStep({ ...ok, x: new Float32Array(5) }), { instanceOf: TypeError, message: /x has length 5, expected 6/ });
  t.throws(() => addon.trainStep({ ...ok, w: w.slice(1) }), { instanceOf: TypeError, message: /w must be an array of 5/ });
  t.throws(() => addon.trainStep({ ...ok, objective: 1, cls: Int32Array.from([0, 1]) }), { instanceOf: TypeError, message: /cls\[1\] = 1 is not in 0..0/ });
  const lm = { ...ok, vocab: 5, readout: 1, objective: 1, O: 3, ids: Int32Array.from([0, 1, 2, 3, 4, 5]), cls: new Int32Array(B * T), w: [5 * I, I * H, H, H * H, H * 3, 3].map((n) => new Float32Array(n)) };
  t.throws(() => addon.trainStep({ ...lm, next: lm.w }), { instanceOf: TypeError, message: /ids\[5\] = 5 is not in 0..4/ });
  t.throws(() => addon.trainStep({ ...ok, readout: 1 }), { instanceOf: TypeError, message: /every state needs objective xent/ });
});
