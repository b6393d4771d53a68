// Turns a report document (sections of paragraphs, tables and SVG figures) into one self-contained
// HTML page (inline CSS and SVG, no scripts, no external requests) or into Markdown with the SVG
// files written beside it. Every text of the document is plain text (notes, overrides, option and
// corpus names come from users): both renderers escape it, so none becomes markup. Knows nothing
// about runs or statistics.

export type Cell = string | { text: string; cls?: string; swatch?: string; code?: boolean };
export interface Table {
  header: Cell[];
  rows: Cell[][];
  /** A class per row (e.g. "diverged"), for highlighting. */
  rowCls?: Array<string | undefined>;
}
export interface Figure {
  /** Unique within the report; also the Markdown SVG file's suffix. */
  id: string;
  caption: string;
  svg: string;
}
export type Block =
  | { kind: 'p'; text: string; cls?: string }
  | { kind: 'h3'; text: string }
  | { kind: 'table'; table: Table }
  | { kind: 'figure'; figure: Figure };
export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}
export interface ReportDoc {
  title: string;
  /** One line under the title: selection and counts. */
  summary: string;
  sections: Section[];
  /** The only time-dependent text; kept in the footer so the body stays byte-identical. */
  generatedAt: string;
  /** The headline table (also inside a section), which `irnn report` prints as text. */
  glance?: Table;
}

/** A table as aligned plain text (cells' text only), for a terminal. */
export function tableText(t: Table): string {
  const text = (c: Cell) => (typeof c === 'string' ? c : c.text);
  const all = [t.header.map(text), ...t.rows.map((r) => r.map(text))];
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; background: #fafafa; margin: 0; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 8px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-top: 12px; border-top: 2px solid #eee; }
h3 { font-size: 15px; margin: 22px 0 8px; color: #333; }
p { margin: 6px 0 10px; max-width: 900px; }
p.lead { color: #555; margin-bottom: 16px; }
p.note { color: #555; font-size: 13px; }
nav { font-size: 13px; margin: 8px 0 0; }
nav a { margin-right: 14px; color: #00798c; text-decoration: none; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e5e5e5; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { font-weight: 700; }
td.diverged, tr.diverged td.diverged { color: #b00020; font-weight: 700; }
tr.diverged td { background: #fff4f4; }
td.muted { color: #999; }
td.paper { color: #555; font-style: italic; }
tr.unverified td { color: #8a6d00; background: #fffbea; }
td.unverified { font-weight: 700; }
code, td.code { font: 12px/1.4 Menlo, Consolas, monospace; }
td.code { white-space: pre-wrap; word-break: break-all; max-width: 620px; }
td.model { white-space: nowrap; }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
figure.plot { margin: 10px 0 18px; }
figure.plot svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #555; max-width: 900px; }
footer { max-width: 1120px; margin: 0 auto; padding: 10px 32px 24px; color: #888; font-size: 12px; background: #fff; }
`;

function cellHtml(c: Cell, tag: 'td' | 'th'): string {
  if (typeof c === 'string') return `<${tag}${/^[-+]?[\d.]/.test(c) ? ' class="num"' : ''}>${esc(c)}</${tag}>`;
  const cls = [c.cls, c.code ? 'code' : ''].filter(Boolean).join(' ');
  const sw = c.swatch ? `<span class="sw" style="background:${esc(c.swatch)}"></span>` : '';
  return `<${tag}${cls ? ` class="${esc(cls)}"` : ''}>${sw}${esc(c.text)}</${tag}>`;
}

export function tableHtml(t: Table): string {
  const head = `<tr>${t.header.map((h) => cellHtml(typeof h === 'string' ? { text: h } : h, 'th')).join('')}</tr>`;
  const rows = t.rows.map((r, i) => {
    const cls = t.rowCls?.[i];
    return `<tr${cls ? ` class="${esc(cls)}"` : ''}>${r.map((c) => cellHtml(c, 'td')).join('')}</tr>`;
  });
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

export function blockHtml(b: Block): string {
  switch (b.kind) {
    case 'p':
      return `<p${b.cls ? ` class="${b.cls}"` : ''}>${esc(b.text)}</p>`;
    case 'h3':
      return `<h3>${esc(b.text)}</h3>`;
    case 'table':
      return tableHtml(b.table);
    case 'figure':
      return `<figure class="plot" data-plot="${esc(b.figure.id)}">\n${b.figure.svg}\n<figcaption>${esc(b.figure.caption)}</figcaption>\n</figure>`;
  }
}

export function renderHtml(doc: ReportDoc): string {
  const nav = doc.sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('');
  const sections = doc.sections.map((s) => `<section id="${esc(s.id)}">\n<h2>${esc(s.title)}</h2>\n${s.blocks.map(blockHtml).join('\n')}\n</section>`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing may load from anywhere: no scripts, no fonts, no images but inline SVG.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${esc(doc.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${esc(doc.title)}</h1>`,
    `<p class="lead">${esc(doc.summary)}</p>`,
    `<nav>${nav}</nav>`,
    ...sections,
    '</main>',
    `<footer>Generated by irnn report at ${esc(doc.generatedAt)}.</footer>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Plain text as Markdown that renders as exactly that text: HTML's special characters become
 *  entities (no tag, comment or autolink can start), Markdown's inline syntax is backslash-escaped
 *  (no link, image, emphasis, code span or table cell break), a line is never a block marker, and
 *  line breaks become spaces (a paragraph or table row stays one line). */
export function mdText(s: string): string {
  const inline = s
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_[\]|~]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
  // At the start of a line "# " makes a heading, "- ", "+ " or "1. " a list item, and a line of
  // "=" or "-" alone underlines the line before it.
  return inline
    .replace(/^(\s*)(#{1,6}|[-+]|\d{1,9}[.)])(?=\s|$)/, (_, sp: string, m: string) => `${sp}${m.slice(0, -1)}\\${m.slice(-1)}`)
    .replace(/^(\s*)([-=])(?=[-=\s]*$)/, '$1\\$2');
}

/** Text as an inline code span: shown verbatim (a code span never renders HTML), with backticks
 *  replaced (they would end the span) and `|` escaped (it would end a table cell even inside one). */
function mdCode(s: string): string {
  return `\`${s.replace(/\r?\n|\r/g, ' ').replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

/** A file name as a link destination: every character but [A-Za-z0-9._-] percent-encoded. */
const mdUrl = (name: string) => encodeURIComponent(name).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function cellMd(c: Cell): string {
  if (typeof c === 'string') return mdText(c);
  if (c.code) return mdCode(c.text);
  return c.cls === 'best' || c.cls === 'diverged' ? `**${mdText(c.text)}**` : mdText(c.text);
}

/** Markdown plus the SVG files it links to (`files`: name -> SVG text), named `<stem>-<figure id>.svg`. */
export function renderMarkdown(doc: ReportDoc, stem: string): { md: string; files: Map<string, string> } {
  const files = new Map<string, string>();
  const out: string[] = [`# ${mdText(doc.title)}`, '', mdText(doc.summary), ''];
  for (const s of doc.sections) {
    out.push(`## ${mdText(s.title)}`, '');
    for (const b of s.blocks) {
      if (b.kind === 'p') out.push(b.cls === 'note' ? `_${mdText(b.text)}_` : mdText(b.text), '');
      else if (b.kind === 'h3') out.push(`### ${mdText(b.text)}`, '');
      else if (b.kind === 'table') {
        const t = b.table;
        out.push(`| ${t.header.map(cellMd).join(' | ')} |`, `|${t.header.map(() => ' --- ').join('|')}|`);
        for (const r of t.rows) out.push(`| ${r.map(cellMd).join(' | ')} |`);
        out.push('');
      } else {
        const name = `${stem}-${b.figure.id}.svg`;
        files.set(name, b.figure.svg);
        out.push(`![${mdText(b.figure.caption)}](${mdUrl(name)})`, '', `_${mdText(b.figure.caption)}_`, '');
      }
    }
  }
  out.push('---', '', `Generated by irnn report at ${mdText(doc.generatedAt)}.`, '');
  return { md: out.join('\n'), files };
}
