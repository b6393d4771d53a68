// Plain-text output helpers for commands: aligned tables and compact numbers. No colours, so
// output pipes cleanly into files and other tools.
import type { RunResult } from '../store/runs.js';

export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return v.toPrecision(4);
}

export function fmtMetrics(m: Record<string, number | null>, skip: string[] = []): string {
  return Object.entries(m)
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => `${k}=${fmtNum(v)}`)
    .join(' ');
}

/** Left-aligned columns separated by two spaces; numbers right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.e+-]+$|^-$/.test(r[i] ?? '')));
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A run's result in one line, validation metric first: "valid_mse=0.0012 test_mse=0.0013 @20000". */
export function fmtResult(r: { result: RunResult | null }): string {
  const x = r.result;
  return x ? `${x.select.name}=${fmtNum(x.select.value)} ${x.main.name}=${fmtNum(x.main.value)} @${x.step}` : '-';
}
