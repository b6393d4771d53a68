// The numbers Le, Jaitly & Hinton (2015) report, labelled with where in the paper they come from,
// and the differences in data and scale between their setup and the runs in a report (read from
// the runs' stored task info). Values are fractions, in the units of our metrics.
import type { RunRecord } from '../store/runs.js';
import { ADDING_BASELINE_MSE } from '../data/adding.js';

export const PAPER = {
  cite: 'Le, Jaitly & Hinton (2015), “A Simple Way to Initialize Recurrent Networks of Rectified Linear Units”, arXiv:1504.00941',
};

export interface PaperResult {
  /** Our model name the row compares with (irnn, lstm, rnn_tanh, ...). */
  model: string;
  /** The paper's name for the network and its setting. */
  label: string;
  metric: string;
  value: number;
  where: string;
}

export interface PaperTask {
  results: PaperResult[];
  /** The paper's setup in one or two sentences. */
  setup: string;
  /** What differs in the runs shown (data and scale), from their stored task info. */
  differences(runs: RunRecord[]): string;
}

/** Distinct values of a task-info field over runs, e.g. "49, 196". */
function info(runs: RunRecord[], key: string): string {
  const vals = [...new Set(runs.map((r) => r.taskInfo?.[key]).filter((v) => v !== undefined && v !== null).map(String))];
  return vals.length ? vals.join(', ') : '?';
}
function cfg(runs: RunRecord[], section: string, key: string): string {
  const vals = [...new Set(runs.map((r) => (r.config[section] as Record<string, unknown> | undefined)?.[key]).map((v) => String(v ?? '?')))];
  return vals.join(', ');
}

const mnist = (permuted: boolean): PaperTask => ({
  results: [
    { model: 'irnn', label: 'IRNN, 100 units', metric: 'test_acc', value: permuted ? 0.82 : 0.97, where: 'MNIST results' },
    { model: 'lstm', label: 'LSTM, 100 cells', metric: 'test_acc', value: permuted ? 0.36 : 0.65, where: 'MNIST results' },
    { model: 'rnn_tanh', label: 'RNN + tanh, 100 units', metric: 'test_acc', value: 0.35, where: 'MNIST results' },
  ],
  setup:
    `${permuted ? 'Permuted' : 'Pixel-by-pixel'} MNIST: the full 60,000 training and 10,000 test digits, 784 steps of one pixel, ` +
    '100 hidden units, SGD with gradient clipping, up to 1,000,000 iterations, learning rate and clipping chosen by grid search.',
  differences: (runs) =>
    `Ours: digits from source “${info(runs, 'source')}” (the offline package holds about 10,000 real MNIST digits, ` +
    `not 70,000): ${info(runs, 'train_size')} training / ${info(runs, 'test_size')} test digits; ` +
    `sequence length ${info(runs, 'seq_len')} (images pooled to side ${info(runs, 'downsample')}; the paper reads all 784 pixels); ` +
    `${cfg(runs, 'train', 'steps')} training steps of batch ${cfg(runs, 'train', 'batch_size')}.`,
});

/** Frame error rates on TIMIT (dev / test); the iRNN is initialised at 0.01 I. */
const timit = (label: string, model: string, dev: number, test: number): PaperResult[] => [
  { model, label: `${label} (dev)`, metric: 'valid_fer', value: dev, where: 'TIMIT table' },
  { model, label: `${label} (test)`, metric: 'test_fer', value: test, where: 'TIMIT table' },
];

/** By `task.name`. */
export const PAPER_TASKS: Record<string, PaperTask> = {
  adding: {
    results: [{ model: '', label: 'baseline: always predict 1', metric: 'test_mse', value: ADDING_BASELINE_MSE, where: 'adding problem' }],
    setup:
      'Sequences of length T = 150, 200, 300 and 400; 100,000 training and 10,000 test sequences; 100 hidden units; ' +
      'results as learning curves rather than a table, so the shared reference point is the baseline MSE of 1/6.',
    differences: (runs) =>
      `Ours: T = ${info(runs, 'seq_len')}, ${info(runs, 'test_size')} test sequences, fresh training batches each step; ` +
      `${cfg(runs, 'train', 'steps')} training steps of batch ${cfg(runs, 'train', 'batch_size')}.`,
  },
  pixel_mnist: mnist(false),
  permuted_mnist: mnist(true),
  lm: {
    results: [],
    setup:
      'Word-level language modelling on the One Billion Word benchmark (about 0.8 billion training words); ' +
      'the paper compares an LSTM with IRNNs of matched size by perplexity.',
    differences: (runs) =>
      `Ours: corpus “${info(runs, 'corpus')}” (${info(runs, 'corpus_splits')}), level ${info(runs, 'level')}, ` +
      `${info(runs, 'train_tokens')} training tokens, vocabulary ${info(runs, 'vocab_size')}: thousands of times smaller than One Billion Word, ` +
      'so perplexities are not comparable in value, only in ranking.',
  },
  speech: {
    results: [
      ...timit('iRNN, 2 layers × 500', 'irnn', 0.343, 0.355),
      ...timit('LSTM, 2 layers × 250', 'lstm', 0.345, 0.354),
      ...timit('iRNN, 5 layers × 500', 'irnn', 0.33, 0.338),
      ...timit('LSTM, 5 layers × 250', 'lstm', 0.35, 0.362),
      ...timit('bidirectional iRNN, 5 layers × 500', 'irnn', 0.289, 0.297),
      ...timit('bidirectional LSTM, 5 layers × 250', 'lstm', 0.285, 0.291),
    ],
    setup:
      'Frame-level phone classification on TIMIT (462 training speakers, real read speech), iRNN initialised at 0.01 I; ' +
      'frame error rates on the development and core test sets.',
    differences: (runs) =>
      `Ours: synthesized speech (formant synthesizer, Moby Dick phrases with CMUdict phones) instead of TIMIT; ` +
      `${info(runs, 'train_utterances')} training utterances, speakers train/valid/test ${info(runs, 'speakers')}, ` +
      `${info(runs, 'phones')} phone classes, features ${info(runs, 'feature_size')} per frame; ` +
      `${cfg(runs, 'model', 'layers')} layer(s), bidirectional ${cfg(runs, 'model', 'bidirectional')}.`,
  },
};

export function paperTask(runs: RunRecord[]): PaperTask | null {
  const name = String((runs[0]?.config['task'] as Record<string, unknown> | undefined)?.['name'] ?? '');
  return PAPER_TASKS[name] ?? null;
}
