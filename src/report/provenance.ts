// The provenance section of a report: where the runs shown came from (git commits and dirty flags,
// backends, engines and the kernels behind them, versions, hosts) and the exact `irnn run` command line of each run, rebuilt
// from its stored overrides. Reads run records only.
import type { RunRecord } from '../store/runs.js';
import type { Block, Cell, Section } from './render.js';

const SAFE = /^[A-Za-z0-9_./=,:@%+~^-]+$/;
const quote = (s: string) => (SAFE.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The command that reruns a run: its overrides, as typed (seed included when it was overridden). */
export function commandLine(run: RunRecord): string {
  return ['irnn', 'run', ...run.overrides.map(quote)].join(' ');
}

/** The engine as speeds are compared: the fused engine split by the kernel that ran it (native,
 *  with its SIMD width, or TypeScript), so that the two are never averaged together. */
export function engineLabel(r: RunRecord): string {
  if (r.engine !== 'fused') return r.engine ?? 'unknown';
  if (r.kernel === 'native') return `fused (native${r.simdWidth ? `, SIMD ${r.simdWidth}` : ''})`;
  if (r.kernel === 'typescript') return 'fused (TypeScript)';
  return 'fused (kernel not recorded)';
}

/** Distinct values with how many runs have each, most common first, then by text. */
function tally(runs: RunRecord[], key: (r: RunRecord) => string): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const r of runs) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function tallyTable(header: string, rows: Array<[string, number]>, cls?: string): Block {
  return { kind: 'table', table: { header: [header, 'runs'], rows: rows.map(([v, n]): Cell[] => [cls ? { text: v, cls } : v, String(n)]) } };
}

const commit = (r: RunRecord) =>
  r.git.commit === null ? 'unknown (no git)' : `${r.git.commit.slice(0, 12)}${r.git.dirty === true ? ' (dirty: uncommitted changes)' : r.git.dirty === false ? ' (clean)' : ''}`;
const versions = (r: RunRecord) =>
  Object.keys(r.versions).sort().map((k) => `${k} ${r.versions[k]}`).join(', ') || 'unknown';

const statusText = (r: RunRecord) =>
  r.status === 'diverged' ? `✕ diverged at step ${r.divergedStep ?? r.step}`
  : r.status === 'pruned' ? `pruned at step ${r.prune?.rung ?? r.step}`
  : r.status;

export function provenanceSection(runs: RunRecord[]): Section {
  const dirty = runs.filter((r) => r.git.dirty === true).length;
  const blocks: Block[] = [
    {
      kind: 'p',
      text:
        'Where the runs in this report came from. A run from a dirty checkout may not be reproducible from its commit alone.' +
        (dirty ? ` ${dirty} of ${runs.length} runs ran on a dirty checkout.` : ''),
    },
    { kind: 'h3', text: 'Git commits' },
    tallyTable('commit', tally(runs, commit), 'code'),
    { kind: 'h3', text: 'Backends, engines and kernels' },
    tallyTable('backend · engine (kernel)', tally(runs, (r) => `${r.backend ?? 'unknown'} · ${engineLabel(r)}`)),
    { kind: 'h3', text: 'Versions' },
    tallyTable('versions', tally(runs, versions)),
    { kind: 'h3', text: 'Hosts' },
    tallyTable('host', tally(runs, (r) => r.host ?? 'unknown')),
    { kind: 'h3', text: 'Commands' },
    {
      kind: 'p',
      text: 'Each run again, from the same commit: the overrides it was started with. Add --db PATH to write to another store.',
    },
    {
      kind: 'table',
      table: {
        header: ['run', 'task', 'model', 'seed', 'status', 'command'],
        rows: runs.map((r): Cell[] => [
          String(r.id),
          r.task,
          r.model,
          String(r.seed),
          { text: statusText(r), cls: r.status === 'diverged' ? 'diverged' : undefined },
          { text: commandLine(r), code: true },
        ]),
        rowCls: runs.map((r) => (r.status === 'diverged' ? 'diverged' : undefined)),
      },
    },
  ];
  return { id: 'provenance', title: 'Provenance', blocks };
}
