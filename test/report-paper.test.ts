// A paper number stands beside a model group only when it measures the same network on the same
// data: the 4-layer IRNN's One Billion Word perplexity beside 4-layer IRNNs trained on that corpus,
// never beside runs on another corpus or another depth.
import test from 'ava';
import { paperMatches, PAPER_TASKS } from '../src/report/paper.js';
import type { RunRecord } from '../src/store/runs.js';

const billion = PAPER_TASKS['lm']!.results.find((r) => r.value === 69.4)!;
const group = (layers: number, corpus: string) => ({
  base: 'irnn',
  arch: { 'model.layers': layers, 'model.bidirectional': false },
  settings: [{ runs: [{ config: { model: { layers }, task: { name: 'lm_words', corpus } } } as unknown as RunRecord] }],
});

test('the One Billion Word perplexity matches 4-layer IRNNs on that corpus only', (t) => {
  t.truthy(billion);
  t.true(paperMatches(billion, group(4, 'billion')));
  t.false(paperMatches(billion, group(4, 'sotu')), 'another corpus');
  t.false(paperMatches(billion, group(1, 'billion')), 'another depth');
  t.false(paperMatches(billion, { ...group(4, 'billion'), base: 'lstm' }), 'another model');
});
