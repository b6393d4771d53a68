// The numbers Le, Jaitly & Hinton (2015) report, each with where it comes from and how far it was
// checked, and the differences in data and scale between their setup and the runs in a report
// (read from the runs' stored task info). Values are fractions, in the units of our metrics.
//
// Checking: the paper's full text could not be read from the machines this project is built on
// (only its abstract and introduction are reachable offline). A number is `established` when
// independent secondary accounts of the paper agree on it; `one source` when one secondary
// account gives it and none contradicts it; `unverified` when it could not be checked at all. No
// number here is marked as read in the paper's own text.
import type { RunRecord } from '../store/runs.js';
import { ADDING_BASELINE_MSE } from '../data/adding.js';
import { getPath, type Tree } from '../config/tree.js';

export const PAPER = {
  cite: 'Le, Jaitly & Hinton (2015), “A Simple Way to Initialize Recurrent Networks of Rectified Linear Units”, arXiv:1504.00941',
};

export type Checked = 'established' | 'one source' | 'unverified';

export const CHECKED_TEXT: Record<Checked, string> = {
  established: 'established: independent accounts of the paper agree; not read in the paper’s own text here',
  'one source': 'one source: one secondary account of the paper gives it; not read in the paper’s own text here',
  unverified: 'unverified: could not be checked against the paper’s text; do not cite it as the paper’s',
};

export interface PaperResult {
  /** Our model name the row compares with (irnn, lstm, rnn_tanh, ...); '' for a task-wide value. */
  model: string;
  /** The paper's name for the network and its setting. */
  label: string;
  metric: string;
  value: number;
  /** Where the number comes from (the paper's part, or this harness for a computed value). */
  source: string;
  checked: Checked | 'computed';
  /** The architecture the number is for (ARCH_KEYS of report/queries.ts), where the paper compares
   *  several: e.g. { 'model.layers': 5, 'model.bidirectional': true }. */
  arch?: Record<string, number | boolean>;
  /** The data the number is measured on, as config values every run of the group must have (a
   *  perplexity means nothing on another corpus): e.g. { 'task.corpus': 'billion' }. */
  data?: Record<string, string | number>;
}

/** Whether a paper number is about a model group: the same model, the architecture it names, and
 *  (where it names them) the same data in every run of the group. */
export function paperMatches(r: PaperResult, m: { base: string; arch: Record<string, unknown>; settings?: Array<{ runs: RunRecord[] }> }): boolean {
  const runs = (m.settings ?? []).flatMap((s) => s.runs);
  return r.model === m.base && Object.entries(r.arch ?? {}).every(([k, v]) => m.arch[k] === v) &&
    Object.entries(r.data ?? {}).every(([k, v]) => runs.length > 0 && runs.every((run) => getPath(run.config as Tree, k).value === v));
}

export interface PaperTask {
  results: PaperResult[];
  /** The paper's setup, with how far each part was checked. */
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

/** The differences of each kind of data among `runs` (a user's own copy of the paper's data, or a
 *  stand-in), one after the other; runs of a kind without its own text fall to `other`. */
function byData(runs: RunRecord[], kind: (r: RunRecord) => string, texts: Record<string, (runs: RunRecord[]) => string> & { other: (runs: RunRecord[]) => string }): string {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const k = Object.hasOwn(texts, kind(r)) && kind(r) !== 'other' ? kind(r) : 'other';
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  if (groups.size === 0) return texts.other(runs);
  return [...groups].map(([k, rs]) => texts[k]!(rs)).join(' ');
}

const SGD_GRID =
  'Established: plain SGD with gradient clipping, learning rates searched over 1e-9 … 1e-1 and clipping thresholds over 1, 10, 100, 1000, ' +
  'batch 16, LSTM forget-gate biases 1, 4, 10 and 20.';

const mnist = (permuted: boolean): PaperTask => ({
  results: [
    { model: 'irnn', label: 'IRNN', metric: 'test_acc', value: permuted ? 0.82 : 0.97, source: 'MNIST results', checked: 'established' },
    { model: 'rnn_tanh', label: 'RNN + tanh', metric: 'test_acc', value: 0.35, source: 'MNIST results', checked: 'established' },
    { model: 'lstm', label: 'LSTM', metric: 'test_acc', value: permuted ? 0.36 : 0.65, source: 'MNIST results', checked: 'unverified' },
  ],
  setup:
    `${permuted ? 'Permuted' : 'Pixel-by-pixel'} MNIST: 784 steps of one pixel${permuted ? ' in one fixed random order' : ' in scanline order'}, ` +
    `all 60,000 training and 10,000 test digits, 100 hidden units. ${SGD_GRID} Unverified: up to 1,000,000 iterations; the per-model learning rates.`,
  differences: (runs) =>
    `Ours: digits from source “${info(runs, 'source')}”: ${info(runs, 'train_size')} training / ${info(runs, 'valid_size')} validation ` +
    `(held out of the training digits) / ${info(runs, 'test_size')} test digits; sequence length ${info(runs, 'seq_len')} ` +
    `(image side ${info(runs, 'downsample')}); ${cfg(runs, 'optimizer', 'name')} instead of plain SGD; ` +
    `${cfg(runs, 'train', 'steps')} training steps of batch ${cfg(runs, 'train', 'batch_size')}.`,
});

/** Frame error rates on TIMIT (development / core test); the iRNN is initialised at 0.01 I. The
 *  rates are established; the widths of the layers are not, so the labels leave them out. */
const timit = (label: string, model: string, arch: Record<string, number | boolean>, dev: number, test: number): PaperResult[] => [
  { model, arch, label: `${label} (dev)`, metric: 'valid_fer', value: dev, source: 'TIMIT table', checked: 'established' },
  { model, arch, label: `${label} (test)`, metric: 'test_fer', value: test, source: 'TIMIT table', checked: 'established' },
];
const uni = (layers: number) => ({ 'model.layers': layers, 'model.bidirectional': false });

/** By `task.name`. */
export const PAPER_TASKS: Record<string, PaperTask> = {
  adding: {
    results: [
      { model: '', label: 'baseline: always predict 1, as the paper quotes it', metric: 'test_mse', value: 0.1767, source: 'adding problem, text', checked: 'established' },
      { model: '', label: 'baseline: always predict 1, analytic Var(U1 + U2) for U[0,1] values', metric: 'test_mse', value: ADDING_BASELINE_MSE, source: 'computed by this harness', checked: 'computed' },
    ],
    setup:
      'The adding problem at T = 150, 200, 300 and 400 with 100,000 training and 10,000 test sequences (established); IRNN, RNN + tanh, ' +
      `RNN + ReLU (Gaussian recurrent weights) and LSTM with 100 hidden units. ${SGD_GRID} ` +
      'Results are learning curves rather than a table, so the shared reference point is the baseline.',
    differences: (runs) =>
      `Ours: T = ${info(runs, 'seq_len')}; fresh training sequences every step; ${info(runs, 'valid_size')} validation and ` +
      `${info(runs, 'test_size')} test sequences from fixed seeds; ${cfg(runs, 'optimizer', 'name')} (learning rate ${cfg(runs, 'optimizer', 'lr')}); ` +
      `${cfg(runs, 'train', 'steps')} training steps of batch ${cfg(runs, 'train', 'batch_size')}.`,
  },
  pixel_mnist: mnist(false),
  permuted_mnist: mnist(true),
  lm: {
    results: [
      // One secondary account gives the 4-layer IRNN's test perplexity on One Billion Word; the
      // LSTM's and the 1-layer IRNN's could not be found in any account read here.
      { model: 'irnn', label: '4-layer IRNN, One Billion Word', metric: 'test_ppl', value: 69.4, source: 'language modelling (section 4.3)', checked: 'one source', arch: { 'model.layers': 4 }, data: { 'task.corpus': 'billion' } },
    ],
    setup:
      'Word-level language modelling on the One Billion Word benchmark (section 4.3), an LSTM against IRNNs of matched parameter count ' +
      '(4 layers of N units, or 1 layer of 2N units, for an LSTM of N cells); compared by test perplexity. Only the 4-layer IRNN’s perplexity (69.4) is quoted, from one secondary account; the others are not quoted (unverified).',
    differences: (runs) =>
      byData(runs, (r) => String(r.taskInfo?.['corpus'] ?? ''), {
        billion: (rs) =>
          `Ours on One Billion Word itself (${info(rs, 'corpus_splits')}): ${info(rs, 'train_tokens')} training tokens, vocabulary ` +
          `${info(rs, 'vocab_size')} (cap ${info(rs, 'vocab_cap')}), level ${info(rs, 'level')}; ${cfg(rs, 'optimizer', 'name')}, ` +
          `${cfg(rs, 'train', 'steps')} training steps of batch ${cfg(rs, 'train', 'batch_size')}.`,
        ptb: (rs) =>
          `Ours on the Penn Treebank (${info(rs, 'corpus_splits')}), not the paper's corpus: ${info(rs, 'train_tokens')} training tokens, ` +
          `vocabulary ${info(rs, 'vocab_size')}, hundreds of times smaller than One Billion Word, so perplexities are not comparable in value, only in ranking.`,
        other: (rs) =>
          `Ours: corpus “${info(rs, 'corpus')}” (${info(rs, 'corpus_splits')}), level ${info(rs, 'level')}, ` +
          `${info(rs, 'train_tokens')} training tokens, vocabulary ${info(rs, 'vocab_size')}: thousands of times smaller than One Billion Word, ` +
          'so perplexities are not comparable in value, only in ranking.',
      }),
  },
  speech: {
    results: [
      ...timit('2-layer LSTM', 'lstm', uni(2), 0.345, 0.354),
      ...timit('2-layer iRNN', 'irnn', uni(2), 0.343, 0.355),
      ...timit('5-layer LSTM', 'lstm', uni(5), 0.35, 0.362),
      ...timit('5-layer iRNN', 'irnn', uni(5), 0.33, 0.338),
      ...timit('5-layer bidirectional LSTM', 'lstm', { 'model.layers': 5, 'model.bidirectional': true }, 0.285, 0.291),
      // Like the LSTM's, the bidirectional iRNN's figures are for 5 layers: no 2-layer bidirectional row.
      ...timit('5-layer bidirectional iRNN', 'irnn', { 'model.layers': 5, 'model.bidirectional': true }, 0.289, 0.297),
    ],
    setup:
      'Frame-level phone classification on TIMIT (section 4.4), the iRNN initialised at 0.01 I; frame error rates on the development and test sets ' +
      '(established). Unverified: the widths of the layers (often quoted as 500 iRNN units and 250 LSTM cells).',
    differences: (runs) =>
      byData(runs, (r) => String(r.taskInfo?.['source'] ?? ''), {
        timit: (rs) =>
          `Ours on TIMIT itself: speakers train/valid/test ${info(rs, 'speakers')} (the standard sets have ${info(rs, 'speakers_expected')}), ` +
          `${info(rs, 'train_utterances')} training utterances, trained on ${info(rs, 'phones')} classes and scored on Lee & Hon's 39, ` +
          `features ${info(rs, 'feature_size')} per frame (this harness's log-mel set); ${cfg(rs, 'model', 'layers')} layer(s), ` +
          `bidirectional ${cfg(rs, 'model', 'bidirectional')}, width ${cfg(rs, 'model', 'hidden')}; ${cfg(rs, 'optimizer', 'name')}.`,
        other: (rs) =>
          `Ours: synthesized speech (formant synthesizer, Moby Dick phrases with CMUdict phones) instead of TIMIT; ` +
          `${info(rs, 'train_utterances')} training utterances, speakers train/valid/test ${info(rs, 'speakers')}, ` +
          `${info(rs, 'phones')} phone classes, features ${info(rs, 'feature_size')} per frame; ` +
          `${cfg(rs, 'model', 'layers')} layer(s), bidirectional ${cfg(rs, 'model', 'bidirectional')}.`,
      }),
  },
};

export function paperTask(runs: RunRecord[]): PaperTask | null {
  const name = String((runs[0]?.config['task'] as Record<string, unknown> | undefined)?.['name'] ?? '');
  return PAPER_TASKS[name] ?? null;
}
