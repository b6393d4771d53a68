// `npm run bench:asha`: ASHA against the full grid on one real grid: the adding problem at
// T = 150, models irnn, lstm, rnn_tanh x Adam learning rates 1e-3, 3e-3, 1e-2, 3e-2 x clipping 1, 10
// (24 jobs, batch 16). Runs the grid (sweep.scheduler=grid) and ASHA (sweep.scheduler=asha) side by
// side through the binary, each into a store of its own, and prints for each the best setting
// found, its score on the ranked metric (the validation metric; the main metric for a task that
// logs none), and the training steps spent. Step counts are exact; wall times are noisy on a shared
// machine (and the two sweeps share it). Asserts nothing.
// Options: --steps 2000  --hidden 32  --eval-every 250  --grace 250  --eta 3  --jobs 2  --test-size 500  --out DIR
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rungValue } from '../src/launch/scheduler.js';
import { Db } from '../src/store/db.js';
import { listRuns, type RunRecord } from '../src/store/runs.js';
import { getSweep } from '../src/store/sweeps.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '2000' },
    hidden: { type: 'string', default: '32' },
    'eval-every': { type: 'string', default: '250' },
    grace: { type: 'string', default: '250' },
    eta: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '2' },
    'test-size': { type: 'string', default: '500' },
    out: { type: 'string' },
  },
});
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const out = args.out ?? mkdtempSync(join(tmpdir(), 'irnn-asha-'));
mkdirSync(out, { recursive: true });
const GRID = [
  'model=irnn,lstm,rnn_tanh', 'optimizer.lr=1e-3,3e-3,1e-2,3e-2', 'optimizer.clip=1,10',
  'optimizer=adam', 'task=adding', 'task.seq_len=150', `task.test_size=${args['test-size']}`, `model.hidden=${args.hidden}`, 'train.batch_size=16',
  `train.steps=${args.steps}`, `train.eval_every=${args['eval-every']}`, 'train.checkpoint_every=null',
];
const SCHEDULERS: Record<string, string[]> = {
  grid: ['sweep.scheduler=grid'],
  asha: ['sweep.scheduler=asha', `sweep.grace=${args.grace}`, `sweep.reduction_factor=${args.eta}`],
};

interface Outcome {
  name: string;
  seconds: number;
  steps: number;
  counts: Record<string, number>;
  best: { run: RunRecord; setting: string; metric: string; value: number } | null;
  /** Each setting's final score among its finished runs. */
  scores: Map<string, number>;
}

const setting = (r: RunRecord) =>
  r.overrides.filter((o) => /^(model|optimizer\.lr|optimizer\.clip)=/.test(o)).join(' ');

async function sweep(name: string): Promise<Outcome> {
  const db = join(out, `${name}.sqlite`);
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'sweep', ...GRID, ...SCHEDULERS[name]!, '--jobs', args.jobs, '--db', db, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += String(d)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} sweep failed (${code}): ${err}`))));
  });
  const seconds = (Date.now() - t0) / 1000;
  const store = await Db.open(db);
  const sw = (await getSweep(store, 1))!;
  const runs = await listRuns(store, { ids: sw.jobs.flatMap((j) => (j.runId === null ? [] : [j.runId])) });
  await store.close();
  const scores = new Map<string, number>();
  let best: Outcome['best'] = null;
  for (const run of runs.filter((x) => x.status === 'finished')) {
    const main = run.taskInfo!['main_metric'] as { name: string; goal: 'min' | 'max' };
    const { metric, value } = rungValue(main, run.metrics);
    if (value === null) continue;
    scores.set(setting(run), value);
    if (!best || (main.goal === 'min' ? value < best.value : value > best.value)) best = { run, setting: setting(run), metric, value };
  }
  return { name, seconds, steps: runs.reduce((n, x) => n + x.step, 0), counts: sw.counts, best, scores };
}

const [grid, asha] = await Promise.all([sweep('grid'), sweep('asha')]);
const fmt = (v: number) => (v < 1e-3 ? v.toExponential(2) : v.toFixed(4));
console.log(`machine: ${cpus()[0]?.model ?? '?'} x ${cpus().length}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (shared: wall times are noisy; steps are exact)`);
console.log(`grid: ${GRID.join(' ')}; ASHA: ${SCHEDULERS['asha']!.join(' ')}; --jobs ${args.jobs}; stores in ${out}`);
console.log('| scheduler | best setting | its score | finished | pruned | diverged | training steps | wall time |');
console.log('|---|---|---|---|---|---|---|---|');
for (const o of [grid, asha]) {
  const b = o.best;
  console.log(`| ${o.name} | ${b ? b.setting : '-'} | ${b ? `${b.metric} ${fmt(b.value)}` : '-'} | ${o.counts['finished']} | ${o.counts['pruned']} | ${o.counts['diverged']} | ${o.steps.toLocaleString('en')} | ${(o.seconds / 60).toFixed(1)} min |`);
}
if (grid.best && asha.best) {
  const same = grid.best.setting === asha.best.setting;
  const rel = asha.best.value / grid.best.value - 1;
  const inGrid = grid.scores.get(asha.best.setting);
  console.log(`ASHA's best is ${same ? 'the grid\'s best setting' : `another setting (the grid's run of it scored ${inGrid === undefined ? '-' : fmt(inGrid)})`}; ` +
    `its score is ${(rel * 100).toFixed(1)}% from the grid's best (goal: within 10%)`);
}
console.log(`ASHA spent ${((asha.steps / grid.steps) * 100).toFixed(1)}% of the grid's training steps (goal: at most 33.3%)`);
