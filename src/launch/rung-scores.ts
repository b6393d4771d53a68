// The scores a run already has at a scheduler's rungs, read from the store: what a finished run
// that a job skips, or the jobs of a sweep being resumed, bring to the competition at each rung.
import type { Db } from '../store/db.js';
import { getRun, metricHistory } from '../store/runs.js';
import { rungValue, type RungScore, type Scheduler } from './scheduler.js';

export async function rungScores(db: Db, o: { idx: number; runId: number; scheduler: Scheduler }): Promise<RungScore[]> {
  const run = await getRun(db, o.runId);
  const main = run?.taskInfo?.['main_metric'] as { name: string; goal: 'min' | 'max'; select?: string } | undefined;
  if (!run || !main) return [];
  const rungs = new Set(o.scheduler.rungs(run.steps));
  const at = new Map<number, Record<string, number | null>>();
  for (const m of await metricHistory(db, o.runId)) {
    if (rungs.has(m.step)) at.set(m.step, { ...at.get(m.step), [m.name]: m.value });
  }
  return [...at].map(([rung, metrics]) => ({ idx: o.idx, rung, ...rungValue(main, metrics) }));
}
