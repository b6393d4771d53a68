// Training through the real trainer with engine=fused and engine=unrolled gives the same loss
// curve: the fused kernels change speed, never the optimisation (every cell, 1 layer one way
// and 2 layers both ways). Short runs on the adding problem, and on the word language model,
// whose fused engine also scores with the fused softmax readout, and evaluates with it.
import test from 'ava';
import { composeConfig } from '../src/config/index.js';
import { createTrainer } from '../src/train/trainer.js';

const STEPS = 15;

async function lossCurve(overrides: string[]): Promise<number[]> {
  const trainer = await createTrainer({ cfg: composeConfig({ overrides: [...overrides, 'backend=wasm'] }).config });
  const losses = Array.from({ length: STEPS }, () => trainer.step());
  trainer.dispose();
  return losses;
}

for (const model of ['irnn', 'rnn_tanh', 'lstm', 'gru']) {
  for (const shape of [['model.layers=1'], ['model.layers=2', 'model.bidirectional=true']]) {
    test.serial(`${model} ${shape.join(' ')}: fused and unrolled training give the same loss curve`, async (t) => {
      const common = [`model=${model}`, ...shape, 'task.seq_len=8', 'task.test_size=50', 'model.hidden=8', 'train.batch_size=4'];
      const fused = await lossCurve([...common, 'model.engine=fused']);
      const unrolled = await lossCurve([...common, 'model.engine=unrolled']);
      t.true(fused.every(Number.isFinite));
      t.not(fused[0], fused[STEPS - 1]);
      fused.forEach((l, i) => t.true(Math.abs(l - unrolled[i]!) <= 1e-4 * Math.max(1, Math.abs(unrolled[i]!)), `step ${i}: fused ${l}, unrolled ${unrolled[i]}`));
    });
  }
}

test.serial('lm_words, 2-layer LSTM: fused and unrolled training give the same loss curve and test perplexity', async (t) => {
  const common = ['task=lm_words', 'model=lstm', 'model.layers=2', 'model.hidden=16', 'task.embed_size=8', 'task.vocab_size=500',
    'train.batch_size=4', 'task.bptt=6', 'task.eval_tokens=300', 'backend=wasm'];
  const run = async (engine: string) => {
    const trainer = await createTrainer({ cfg: composeConfig({ overrides: [...common, `model.engine=${engine}`] }).config });
    const losses = Array.from({ length: 6 }, () => trainer.step());
    const metrics = trainer.evaluate();
    t.is(trainer.model.fusedReadout, engine === 'fused');
    trainer.dispose();
    return { losses, ppl: metrics['test_ppl']! };
  };
  const fused = await run('fused');
  const unrolled = await run('unrolled');
  t.not(fused.losses[0], fused.losses[5]);
  fused.losses.forEach((l, i) => t.true(Math.abs(l - unrolled.losses[i]!) <= 1e-4 * unrolled.losses[i]!, `step ${i}: fused ${l}, unrolled ${unrolled.losses[i]}`));
  t.true(Math.abs(fused.ppl - unrolled.ppl) <= 1e-4 * unrolled.ppl, `test_ppl: fused ${fused.ppl}, unrolled ${unrolled.ppl}`);
});
