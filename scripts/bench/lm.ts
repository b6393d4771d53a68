// The language-model rows of `npm run bench`: one lm_words training step (V = 10,000, 32 x 35
// tokens, Adam, clip 1) for the LSTM 128 and the 4-layer IRNN 128, and the loss of the whole SOTU
// test split, for the harness (fused readout on 1 and 2 threads) and the PyTorch peer.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeConfig } from '../../src/config/index.js';
import { tokenizeCorpus } from '../../src/data/tokenize.js';
import { createTrainer, type Trainer } from '../../src/train/trainer.js';
import { runPeer } from './peer.js';
import { timeIt, type Timing } from './timing.js';

export const LM = { V: 10000, E: 128, H: 128, B: 32, L: 35 };
export const LM_MODELS: Record<string, { overrides: string[]; kind: string; layers: number; gates: number }> = {
  'lstm 128': { overrides: ['model=lstm'], kind: 'lstm', layers: 1, gates: 4 },
  'irnn 4x128': { overrides: ['model=irnn', 'model.layers=4'], kind: 'irnn', layers: 4, gates: 1 },
};

/** FLOPs of one window's forward pass: the readout and the recurrent layers (input and
 *  recurrent products); a training step counts 3x (forward + two backward products). */
export function lmForwardFlops(model: string, tokens: number): number {
  const { V, E, H } = LM;
  const m = LM_MODELS[model]!;
  let rec = 0;
  for (let l = 0; l < m.layers; l++) rec += 2 * tokens * H * ((l ? H : E) + H) * m.gates;
  return 2 * tokens * H * V + rec;
}

export async function lmTrainer(model: string, extra: string[] = []): Promise<Trainer> {
  const overrides = ['task=lm_words', ...LM_MODELS[model]!.overrides, `model.hidden=${LM.H}`, `task.embed_size=${LM.E}`,
    `train.batch_size=${LM.B}`, `task.bptt=${LM.L}`, 'backend=wasm', 'task.eval_tokens=null', `task.eval_batch_size=${LM.B}`, ...extra];
  return createTrainer({ cfg: composeConfig({ overrides }).config });
}

/** Our training step with the readout on `threads` threads. */
export function ourLmStep(trainer: Trainer, threads: number, runs: number): Timing {
  process.env.IRNN_READOUT_THREADS = String(threads);
  return timeIt(() => trainer.step(), { warmup: 3, runs });
}

/** Our loss over the whole test split (no gradients: the fused readout computes the loss only). */
export function ourLmEval(trainer: Trainer, threads: number): Timing & { tokens: number } {
  process.env.IRNN_READOUT_THREADS = String(threads);
  const t = timeIt(() => {
    const m = trainer.task.evaluate('test', trainer.predict);
    if (!Number.isFinite(m['test_loss'])) throw new Error('bench: test loss is not finite');
  }, { warmup: 0, runs: 1 });
  return { ...t, tokens: Number(trainer.task.info['test_eval_tokens']) };
}

export function peerLmStep(model: string, threads: number, runs: number): Timing | null {
  const m = LM_MODELS[model]!;
  const r = runPeer({ mode: 'lm', kind: m.kind, vocab: LM.V, embed: LM.E, hidden: LM.H, batch: LM.B, 'seq-len': LM.L, runs, warmup: 3 }, threads);
  return r && { wall: r.ms as number, cpu: r.cpu_ms as number };
}

/** The SOTU test split's token ids (the task's own tokenisation and cache) in a temporary file,
 *  for the peer to score the same tokens. */
export function testIdsFile(): string {
  const data = tokenizeCorpus({ corpus: { corpus: 'sotu', dir: null }, level: 'word', vocabSize: LM.V, cacheDir: 'results/cache' });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'irnn-bench-')), 'test-ids.bin');
  writeFileSync(file, data.ids.test);
  return file;
}

export function peerLmEval(model: string, threads: number, idsFile: string): (Timing & { tokens: number }) | null {
  const m = LM_MODELS[model]!;
  const r = runPeer({ mode: 'lm-eval', kind: m.kind, vocab: LM.V, embed: LM.E, hidden: LM.H, batch: LM.B, 'seq-len': LM.L, ids: idsFile, runs: 1 }, threads);
  return r && { wall: r.ms as number, cpu: r.cpu_ms as number, tokens: r.tokens as number };
}
