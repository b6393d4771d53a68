// Gradient-flow diagnostics in the store (table `diagnostics`, rows of src/train/diagnostics.ts):
// all values of one evaluation in one transaction, read back per run, and the summary of a run's
// last profile that `irnn runs show` prints: how many decades the gradient falls across the lags.
import type { Db } from './db.js';

export interface DiagnosticValue {
  quantity: string;
  layer: number;
  direction: number;
  /** 1..T (1 = the last step) for per-lag quantities; 0 for a whole matrix or layer. */
  lag: number;
  value: number | null;
}
export interface StoredDiagnostic extends DiagnosticValue {
  step: number;
}

/** Rows per INSERT statement: 7 parameters each, far below SQLite's parameter limit. */
const CHUNK = 100;

/** Records every value of one evaluation at once (logging a step again replaces its values). */
export async function logDiagnostics(db: Db, runId: number, step: number, rows: DiagnosticValue[]): Promise<void> {
  await db.transaction(async () => {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const part = rows.slice(i, i + CHUNK);
      await db.run(
        `INSERT OR REPLACE INTO diagnostics (run_id, step, quantity, layer, direction, lag, value) VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        part.flatMap((r) => [runId, step, r.quantity, r.layer, r.direction, r.lag, r.value !== null && Number.isFinite(r.value) ? r.value : null]),
      );
    }
  });
}

/** Every stored diagnostic of the given runs (optionally some quantities only), in step order.
 *  A store older than the table reads as having none. */
export async function diagnosticsOf(db: Db, runIds: number[], quantities?: string[]): Promise<Map<number, StoredDiagnostic[]>> {
  const out = new Map<number, StoredDiagnostic[]>(runIds.map((id) => [id, []]));
  if (!runIds.length) return out;
  const q = quantities ?? [];
  try {
    const rows = await db.all<StoredDiagnostic & { run_id: number }>(
      `SELECT run_id, step, quantity, layer, direction, lag, value FROM diagnostics
         WHERE run_id IN (${runIds.map(() => '?').join(',')})${q.length ? ` AND quantity IN (${q.map(() => '?').join(',')})` : ''}
         ORDER BY run_id, step, quantity, layer, direction, lag`,
      [...runIds, ...q],
    );
    for (const { run_id, ...r } of rows) out.get(run_id)!.push(r);
  } catch (e) {
    if (!/no such table/.test(String((e as Error).message))) throw e;
  }
  return out;
}

export interface Fall {
  /** log10(value at lag 1 / value at the longest lag); null when there is nothing to compare. */
  decades: number | null;
  /** The gradient reached exactly 0 (below float32's range: it underflowed) from this lag on;
   *  `decades` is then a lower bound, measured to the last lag with a non-zero value. */
  zeroFrom: number | null;
}

/** How far a profile (values at lags 1..T in order) falls from its first to its last lag. */
export function decadesFallen(values: Array<number | null>): Fall {
  const first = values[0] ?? null;
  if (first === null || !(first > 0)) return { decades: null, zeroFrom: null };
  let k = values.length;
  while (k > 1 && values[k - 1] === 0) k--;
  const last = values[k - 1];
  const decades = last === null || last === undefined || !(last > 0) ? null : Math.log10(first / last);
  return { decades, zeroFrom: k < values.length ? k + 1 : null };
}

export interface ProfileLine extends Fall {
  layer: number;
  direction: number;
  /** grad_h or grad_c. */
  quantity: string;
  lags: number;
  lag1: number | null;
  lagT: number | null;
}
export interface ProfileSummary {
  step: number;
  profiles: ProfileLine[];
  /** Per layer and direction: spectral_radius, sigma_max, identity_distance, dead_fraction. */
  matrices: Array<{ layer: number; direction: number; values: Record<string, number | null> }>;
}

/** The last evaluation's gradient profiles of one run's rows, or null when it has none. */
export function summarizeLast(rows: StoredDiagnostic[]): ProfileSummary | null {
  const steps = rows.filter((r) => r.quantity === 'grad_h').map((r) => r.step);
  if (!steps.length) return null;
  const step = Math.max(...steps);
  const at = rows.filter((r) => r.step === step);
  const key = (r: { layer: number; direction: number }) => `${r.layer}/${r.direction}`;
  const profiles: ProfileLine[] = [];
  for (const quantity of ['grad_h', 'grad_c']) {
    const groups = new Map<string, StoredDiagnostic[]>();
    for (const r of at.filter((x) => x.quantity === quantity)) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
    for (const g of groups.values()) {
      const byLag = [...g].sort((a, b) => a.lag - b.lag);
      const [first, last] = [byLag[0]!, byLag[byLag.length - 1]!];
      profiles.push({ layer: first.layer, direction: first.direction, quantity, lags: last.lag, lag1: first.value, lagT: last.value, ...decadesFallen(byLag.map((r) => r.value)) });
    }
  }
  profiles.sort((a, b) => a.layer - b.layer || a.direction - b.direction || (a.quantity < b.quantity ? 1 : -1));
  const matrices = new Map<string, ProfileSummary['matrices'][number]>();
  for (const r of at.filter((x) => x.lag === 0)) {
    const m = matrices.get(key(r)) ?? { layer: r.layer, direction: r.direction, values: {} };
    m.values[r.quantity] = r.value;
    matrices.set(key(r), m);
  }
  return { step, profiles, matrices: [...matrices.values()].sort((a, b) => a.layer - b.layer || a.direction - b.direction) };
}

/** The summary of a run's last profile, reading that evaluation's rows only. */
export async function lastProfile(db: Db, runId: number): Promise<ProfileSummary | null> {
  try {
    const rows = await db.all<StoredDiagnostic>(
      `SELECT step, quantity, layer, direction, lag, value FROM diagnostics WHERE run_id = ? AND step =
         (SELECT MAX(step) FROM diagnostics WHERE run_id = ? AND quantity = 'grad_h')`,
      [runId, runId],
    );
    return summarizeLast(rows);
  } catch (e) {
    if (/no such table/.test(String((e as Error).message))) return null;
    throw e;
  }
}
