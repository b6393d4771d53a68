// Every preset under experiments/experiment/ trains: its own config, and the first job of its sweep
// for each model the sweep names, each for 2 steps on the real data with the evaluation sets
// shrunk (as lightning-hydra-template's smoke tests do). Presets for data a user brings (TIMIT,
// One Billion Word, the Penn Treebank) run on miniatures in those formats written here. A preset
// that stops composing, names a key its task lacks, or builds a model that cannot take a step
// fails here.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeConfig } from '../src/config/index.js';
import { groupOptions } from '../src/config/compose.js';
import { expandSweep } from '../src/config/sweep.js';
import { Db } from '../src/store/db.js';
import { getRun } from '../src/store/runs.js';
import { train } from '../src/train/run.js';
import { writeBillion, writePtb, writeTimit } from './data-writers.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'presets-'));
test.after.always(() => rmSync(cacheDir, { recursive: true, force: true }));

// Large enough for 32 streams of 36 words.
const ptbLines = Array.from({ length: 300 }, (_, i) => ['the', 'board', 'will', 'join', 'N', 'years', '<unk>', 'mr.', 'group'].slice(i % 5, 4 + (i % 6)).join(' '));
const DATA = {
  timit: writeTimit(join(cacheDir, 'timit')),
  billion: writeBillion(join(cacheDir, 'billion'), { lines: 400 }),
  ptb: writePtb(join(cacheDir, 'ptb'), { train: ptbLines }),
};

/** task.path for a config that reads data the user brings, from the miniatures above. */
function dataPath(task: Record<string, unknown>): string[] {
  if (task['source'] === 'timit') return [`task.path=${DATA.timit}`];
  if (task['corpus'] === 'billion' || task['corpus'] === 'ptb') return [`task.path=${DATA[task['corpus']]}`];
  return [];
}

/** Overrides that keep a 2-step run cheap without changing the model or the sequence length. */
const SHRINK: Record<string, string[]> = {
  adding: ['task.test_size=16', 'task.valid_size=16'],
  pixel_mnist: ['task.max_valid=16', 'task.max_test=16'],
  permuted_mnist: ['task.max_valid=16', 'task.max_test=16'],
  lm: ['task.eval_tokens=256'],
  speech: ['task.train_utterances=6', 'task.valid_utterances=3', 'task.test_utterances=3', 'task.train_speakers=2', 'task.valid_speakers=1', 'task.test_speakers=1'],
};

/** The preset's own config, then the first sweep job of each model it sweeps. */
function jobsOf(preset: string): string[][] {
  const base = [`+experiment=${preset}`];
  const seen = new Set<string>();
  const jobs = [base];
  for (const job of expandSweep({ overrides: base })) {
    const model = job.find((o) => o.startsWith('model='));
    if (model && !seen.has(model)) {
      seen.add(model);
      jobs.push(job);
    }
  }
  return jobs;
}

const presets = groupOptions('experiment');

test('the presets are found (paper and repro)', (t) => {
  t.true(presets.some((p) => p.startsWith('paper/')), presets.join(' '));
  t.true(presets.some((p) => p.startsWith('repro/')), presets.join(' '));
});

for (const preset of presets) {
  test.serial(`preset ${preset} trains 2 steps`, async (t) => {
    const db = await Db.open(':memory:');
    for (const job of jobsOf(preset)) {
      const task = composeConfig({ overrides: job }).config.task;
      const overrides = [...job, ...dataPath(task), ...(SHRINK[task.name] ?? []), 'train.steps=2', 'train.eval_every=2'];
      const resolved = composeConfig({ overrides });
      const r = await train({ resolved, db, cacheDir });
      t.is(r.status, 'finished', overrides.join(' '));
      const run = (await getRun(db, r.runId))!;
      t.is(run.step, 2);
      t.truthy(run.result, `${overrides.join(' ')}: no validation result`);
      t.true(Number.isFinite(run.result?.main.value ?? NaN), `${overrides.join(' ')}: ${JSON.stringify(run.result)}`);
    }
    await db.close();
  });
}
