// The report's account of runs a sweep scheduler pruned (stopped early at a rung for ranking low
// on the validation metric): how many per task and model, and each one's rung and reason. They are
// neither finished nor failed, so they stay out of every mean; this section is where they show.
import type { RunRecord } from '../store/runs.js';
import type { Cell, Section } from './render.js';

export function prunedSection(runs: RunRecord[]): Section | null {
  const pruned = runs.filter((r) => r.status === 'pruned');
  if (pruned.length === 0) return null;
  const groups = new Map<string, number>();
  for (const r of pruned) groups.set(`${r.task} · ${r.model}`, (groups.get(`${r.task} · ${r.model}`) ?? 0) + 1);
  return {
    id: 'pruned',
    title: 'Pruned by the sweep scheduler',
    blocks: [
      {
        kind: 'p',
        text:
          `${pruned.length} run${pruned.length === 1 ? ' was' : 's were'} stopped early by ASHA (sweep.scheduler=asha) for ranking low on ` +
          'the validation metric at a rung. They are counted here and left out of every mean, best setting and heat-map cell above.',
      },
      { kind: 'table', table: { header: ['task · model', 'pruned runs'], rows: [...groups].sort().map(([k, n]): Cell[] => [k, String(n)]) } },
      {
        kind: 'table',
        table: {
          header: ['run', 'task', 'model', 'stopped at step', 'reason'],
          rows: pruned.map((r): Cell[] => [String(r.id), r.task, r.model, String(r.prune?.rung ?? r.step), r.prune?.reason ?? '']),
        },
      },
    ],
  };
}
