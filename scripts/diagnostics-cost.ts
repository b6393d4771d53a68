// `npx tsx scripts/diagnostics-cost.ts`: what gradient-flow diagnostics cost a training run at the
// default evaluation interval (train.steps 2000, train.eval_every 250, batch 16, 100 hidden, adding
// problem at T = 150). Two measurements in this one process: (1) a default-length run driven step
// by step, timing its parts (training steps, the 9 evaluations, the 9 diagnostics measured and
// written to a store), which gives the share directly; (2) whole runs through train() with
// train.diagnostics=true and =false in alternation, their CPU time split into training steps and
// evaluations by the run's events (a cross-check, and a check that measuring does not slow the steps).
// CPU time of this process (other processes disturb it much less than wall time). Prints a
// markdown table; never asserts.
// Options: --models irnn,rnn_tanh,lstm  --T 150  --rounds 2 (on/off pairs of whole runs)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { composeConfig } from '../src/config/index.js';
import { Db } from '../src/store/db.js';
import { logDiagnostics } from '../src/store/diagnostics.js';
import { createRun } from '../src/store/runs.js';
import { createProbe } from '../src/train/diagnostics.js';
import { train } from '../src/train/run.js';
import { createTrainer } from '../src/train/trainer.js';
import { median as medianOrNull } from '../src/util/median.js';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'irnn,rnn_tanh,lstm' },
    T: { type: 'string', default: '150' },
    rounds: { type: 'string', default: '2' },
  },
});
const ROUNDS = Number(args.rounds);
const dir = mkdtempSync(join(tmpdir(), 'irnn-diag-cost-'));

const mid = (xs: number[]): number => medianOrNull(xs) ?? NaN;
const cpuMs = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000;
/** Wall and CPU milliseconds of one call. */
async function timed(fn: () => unknown): Promise<{ wall: number; cpu: number }> {
  const [w, c] = [performance.now(), cpuMs()];
  await fn();
  return { wall: performance.now() - w, cpu: cpuMs() - c };
}

const overrides = (model: string, extra: string[] = []) => [`model=${model}`, `task.seq_len=${args.T}`, 'backend=wasm', ...extra];

/** (1) A default run driven step by step: CPU milliseconds of each part. */
async function driven(model: string) {
  const { config } = composeConfig({ overrides: overrides(model) });
  const { steps, eval_every: every } = config.train;
  const trainer = await createTrainer({ cfg: config });
  const probe = createProbe({ task: trainer.task, model: trainer.model, batchSize: config.train.batch_size });
  const db = await Db.open(join(dir, `driven-${model}.sqlite`));
  const runId = await createRun(db, { task: 'adding', model, seed: 0, config, configHash: '-', overrides: [], steps, git: { commit: null, dirty: null }, versions: {}, host: '-', pid: 0 });
  const t = { steps: 0, evaluation: 0, diagnostics: 0, rows: 0, evaluations: 0 };
  const evaluate = async (step: number) => {
    t.evaluation += (await timed(() => trainer.evaluate())).cpu;
    t.diagnostics += (await timed(async () => {
      const rows = probe.measure();
      t.rows = rows.length;
      await logDiagnostics(db, runId, step, rows);
    })).cpu;
    t.evaluations++;
  };
  await evaluate(0);
  for (let step = 1; step <= steps; step++) {
    t.steps += (await timed(() => trainer.step())).cpu;
    if (step % every === 0 || step === steps) await evaluate(step);
  }
  trainer.dispose();
  await db.close();
  return { ...t, steps_: steps };
}

/** (2) Whole runs through train(), diagnostics on and off in turn. The run's events split its CPU
 *  time into training steps (between one step's end and the next) and evaluations (from a step's
 *  end to its onEval, which comes after the metrics and the diagnostics are stored). */
async function wholeRuns(model: string) {
  type Split = { steps: number; evaluations: number };
  const splits: Record<'on' | 'off', Split[]> = { on: [], off: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const side of r % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const db = await Db.open(join(dir, `run-${model}-${r}-${side}.sqlite`));
      const resolved = composeConfig({ overrides: overrides(model, [`train.diagnostics=${side === 'on'}`]) });
      const split: Split = { steps: 0, evaluations: 0 };
      let mark = 0;
      const lap = (k: keyof Split) => {
        const now = cpuMs();
        split[k] += now - mark;
        mark = now;
      };
      await train({
        resolved,
        db,
        events: { onStart: () => void (mark = cpuMs()), onStep: () => lap('steps'), onEval: () => lap('evaluations') },
      });
      splits[side].push(split);
      await db.close();
    }
  }
  const m = (side: 'on' | 'off', k: keyof Split) => mid(splits[side].map((x) => x[k]));
  return { on: { steps: m('on', 'steps'), evaluations: m('on', 'evaluations') }, off: { steps: m('off', 'steps'), evaluations: m('off', 'evaluations') } };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const sec = (ms: number) => (ms / 1000).toFixed(1);
console.log(`# diagnostics cost: adding T = ${args.T}, 2000 steps, eval_every 250, batch 16, 100 hidden, wasm; ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.log('| model | rows per evaluation | training steps, CPU s | 9 evaluations, CPU s | 9 diagnostics, CPU s | one diagnostic, CPU ms | share of the run | whole runs: steps off / on, CPU s | evaluations off / on, CPU s | share of the run |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const model of args.models.split(',')) {
  const d = await driven(model);
  const w = await wholeRuns(model);
  const total = d.steps + d.evaluation + d.diagnostics;
  const wShare = (w.on.evaluations - w.off.evaluations) / (w.on.steps + w.on.evaluations);
  console.log(`| ${model} | ${d.rows} | ${sec(d.steps)} | ${sec(d.evaluation)} | ${sec(d.diagnostics)} | ${(d.diagnostics / d.evaluations).toFixed(0)} | ${pct(d.diagnostics / total)} | ${sec(w.off.steps)} / ${sec(w.on.steps)} | ${sec(w.off.evaluations)} / ${sec(w.on.evaluations)} | ${pct(wShare)} |`);
}
console.log(`\nLeft: a run driven step by step, each part timed. Right: whole runs through train() (medians of ${ROUNDS} each, on and off in turn), split by the run's events; their share is the extra CPU time of the evaluations with diagnostics over the whole run with them.`);
rmSync(dir, { recursive: true, force: true });
