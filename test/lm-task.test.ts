// The language-modelling task with the real trainer: an untrained network's perplexity is the
// vocabulary size (uniform predictions), a short run records test_ppl and its parameter count, and
// the paper preset's models have the parameter counts its comments derive by hand.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeConfig } from '../src/config/index.js';
import { buildModel } from '../src/models/index.js';
import { Db } from '../src/store/db.js';
import { getRun } from '../src/store/runs.js';
import { initBackend } from '../src/train/backend.js';
import { train } from '../src/train/run.js';
import { createTrainer } from '../src/train/trainer.js';
import { lmTask } from '../src/tasks/language-model.js';
import type { Task } from '../src/tasks/task.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'lm-task-'));
test.after.always(() => rmSync(cacheDir, { recursive: true, force: true }));

/** Small, cheap settings on the real SOTU corpus. */
const SMALL = [
  'task=lm_words', 'task.vocab_size=300', 'task.bptt=8', 'task.eval_tokens=400', 'task.embed_size=8',
  'model.hidden=16', 'train.batch_size=4', 'backend=cpu',
];

test('an untrained network predicts about uniformly: perplexity near the vocabulary size', async (t) => {
  for (const model of ['irnn', 'lstm']) {
    const trainer = await createTrainer({ cfg: composeConfig({ overrides: [...SMALL, `model=${model}`] }).config, cacheDir });
    const m = trainer.evaluate();
    const V = trainer.task.input.kind === 'tokens' ? trainer.task.input.vocab : NaN;
    t.is(V, 300);
    t.true(Math.abs(m['test_ppl']! / V - 1) < 0.05, `${model}: test_ppl ${m['test_ppl']} vs ${V}`);
    t.true(Math.abs(m['valid_loss']! - Math.log(V)) < 0.05, `${model}: valid_loss ${m['valid_loss']}`);
    trainer.dispose();
  }
});

test('a short run of task=lm_words model=irnn model.layers=2 records test_ppl and its parameter count', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lm-run-'));
  const db = await Db.open(join(dir, 'runs.sqlite'));
  const resolved = composeConfig({ overrides: [...SMALL, 'model=irnn', 'model.layers=2', 'train.steps=6', 'train.eval_every=3'] });
  const result = await train({ resolved, db, cacheDir });
  t.is(result.status, 'finished');
  const run = (await getRun(db, result.runId))!;
  const ppl = run.metrics['test_ppl'];
  t.true(typeof ppl === 'number' && Number.isFinite(ppl) && ppl > 1, `test_ppl ${ppl}`);
  t.true(Math.abs(run.metrics['test_loss']! - Math.log(ppl!)) < 1e-9);
  // 400 tokens in 32 evaluation streams (eval_batch_size): 12 predictions each.
  t.like(run.taskInfo, { corpus: 'sotu', level: 'word', vocab_size: 300, seq_len: 8, test_eval_tokens: 32 * 12 });
  // Embedding V*E, layer 1 H(E+H+1), layer 2 H(H+H+1), readout (H+1)V; V = 300, E = 8, H = 16.
  t.is(run.params, 300 * 8 + 16 * (8 + 16 + 1) + 16 * (16 + 16 + 1) + (16 + 1) * 300);
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('paper/lm: the five models have the parameter counts written in the preset', async (t) => {
  await initBackend('cpu');
  let task: Task | undefined;
  const expected: Array<[string, number, number, number]> = [
    ['lstm', 1, 128, 2_701_584],
    ['irnn', 4, 128, 2_701_584],
    ['irnn', 1, 256, 3_948_560],
    ['gru', 1, 154, 2_961_208],
    ['rnn_tanh', 1, 304, 4_461_632],
  ];
  for (const [model, layers, hidden, params] of expected) {
    const { config } = composeConfig({
      overrides: ['+experiment=paper/lm', `model=${model}`, `model.layers=${layers}`, `model.hidden=${hidden}`],
    });
    task ??= await lmTask(config.task, { seed: 0, cacheDir });
    const m = buildModel({ config, task });
    t.is(m.paramCount, params, `${model} ${layers}x${hidden}`);
    m.dispose();
  }
});
