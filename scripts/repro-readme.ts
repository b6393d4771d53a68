// The README's reproduction table, made from the committed reports (reports/repro/NAME.md, which
// test/repro.test.ts checks against the committed stores): each report's "At a glance" rows, with
// the store's name in front and the rerun command of that row's "Best setting per model" entry
// behind. `npm run repro:reports` writes it between the README's markers; the test checks it there.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The stores the README's table shows, in its order (the diagnostic and calibration stores have
 *  their own reports and are left out). */
export const README_STORES = ['adding', 'mnist', 'speech', 'lm'];
export const BEGIN = '<!-- repro-table: made by npm run repro:reports from reports/repro/; do not edit -->';
export const END = '<!-- /repro-table -->';

/** The cells of a Markdown table row (`| a | b |`), split on unescaped pipes, trimmed. */
function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

/** The first table after line `from`, if one comes before the next heading: its header cells and
 *  its rows (the separator dropped). */
function tableAfter(lines: string[], from: number): { header: string[]; rows: string[][] } {
  let i = from + 1;
  while (i < lines.length && !lines[i]!.startsWith('|')) {
    if (lines[i]!.startsWith('#')) return { header: [], rows: [] };
    i++;
  }
  const header = i < lines.length ? cells(lines[i]!) : [];
  const rows: string[][] = [];
  for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(cells(lines[i]!));
  return { header, rows };
}

/** A report's "At a glance" table. */
function glanceOf(store: string, lines: string[]): { header: string[]; rows: string[][] } {
  const at = lines.indexOf('## At a glance');
  const t = at < 0 ? null : tableAfter(lines, at);
  if (!t || t.header.length === 0) throw new Error(`reports/repro/${store}.md has no "At a glance" table`);
  return t;
}

/** One report's rows for the README: store, the glance row, and the rerun command. */
export function reportRows(store: string, md: string): string[][] {
  const lines = md.split('\n');
  const glance = glanceOf(store, lines).rows;
  // "## Task: TITLE" ... "### Best setting per model": model, setting, ..., `command`.
  const commands = new Map<string, string>();
  let task = '';
  lines.forEach((l, i) => {
    if (l.startsWith('## Task: ')) task = l.slice('## Task: '.length);
    if (l === '### Best setting per model') {
      for (const r of tableAfter(lines, i).rows) commands.set(`${task}\u0000${r[0]}\u0000${r[1]}`, r[r.length - 1]!);
    }
  });
  return glance.map((g) => {
    const cmd = commands.get(`${g[0]}\u0000${g[1]}\u0000${g[3]}`);
    const rerun = cmd ? cmd.replace(/^`irnn run /, '`') : '';
    return [`\`${store}\``, ...g, rerun];
  });
}

/** The whole table, its header taken from the first report's glance header. */
export function readmeTable(reportsDir: string): string {
  const mds = README_STORES.map((s) => [s, readFileSync(join(reportsDir, `${s}.md`), 'utf8')] as const);
  const header = ['store', ...glanceOf(mds[0]![0], mds[0]![1].split('\n')).header, 'rerun (`npx irnn run ... --db mine.sqlite`)'];
  const rows = mds.flatMap(([s, md]) => reportRows(s, md));
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The README with its table block replaced (the markers must be there). */
export function withTable(readme: string, table: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md lacks the markers ${BEGIN} ... ${END}`);
  return `${readme.slice(0, a + BEGIN.length)}\n${table}\n${readme.slice(b)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const path = join(root, 'README.md');
  writeFileSync(path, withTable(readFileSync(path, 'utf8'), readmeTable(join(root, 'reports', 'repro'))));
  console.log('README.md: reproduction table written from reports/repro/');
}
