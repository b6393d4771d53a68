// The seam for the gradient-flow panel on a run's page. Stores written by code with gradient-flow
// diagnostics hold a `diagnostics` table and that code has src/report/gradients.ts; elsewhere the
// run page shows no panel. Returns null when there is nothing to show.
import type { Db } from '../store/db.js';
import type { RunRecord } from '../store/runs.js';
import { groupRuns } from '../report/queries.js';
import type { Block } from '../report/render.js';
import type { TaskGroup } from '../report/queries.js';

interface GradientModule {
  loadGradients(db: Db, runs: RunRecord[]): Promise<void>;
  gradientBlocks(g: TaskGroup): Promise<Block[]>;
}

/** The module is looked up when a store has the table, so this file type-checks without it. */
const MODULE = '../report/gradients.js';

export async function gradientBlocks(db: Db, run: RunRecord): Promise<Block[] | null> {
  const table = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'diagnostics'");
  if (!table?.n) return null;
  const mod = (await import(MODULE).catch(() => null)) as GradientModule | null;
  if (!mod) return null;
  await mod.loadGradients(db, [run]);
  const group = groupRuns([run])[0];
  const blocks = group ? await mod.gradientBlocks(group) : [];
  return blocks.length ? blocks : null;
}
