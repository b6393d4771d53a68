// The dashboard's page shell: head (stylesheet and script served by the dashboard itself, no
// inline script), navigation, and the `#live` region that the page's script refreshes in place.
// Every string from the store reaches HTML through `esc` or the report's table and block renderers.
import { esc } from '../report/render.js';

export { esc };

/** What a page handler returns: `top` stays put (forms the user types into), `live` is redrawn
 *  when the store changes; `status` is the HTTP status (400 for a bad filter, 404 for no such run). */
export interface Page {
  title: string;
  top?: string;
  live: string;
  status?: number;
}

const NAV: Array<[string, string]> = [['/', 'Runs'], ['/sweeps', 'Sweeps']];

/** A query string from parameters, leaving out empty ones; '' when none are left. */
export function query(params: Record<string, string | number | undefined | Array<string | number>>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined && x !== '') q.append(k, String(x));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function link(href: string, text: string, cls?: string): string {
  return `<a href="${esc(href)}"${cls ? ` class="${esc(cls)}"` : ''}>${esc(text)}</a>`;
}

/** How long ago an ISO time was, coarsely: "12 s", "4 min", "3 h", "2 d". */
export function age(iso: string | null, now = Date.now()): string {
  if (!iso) return '–';
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

export function shell(o: { page: Page; path: string; db: string }): string {
  const nav = NAV.map(([href, text]) => link(href, text, href === o.path ? 'here' : undefined)).join('');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(o.page.title)} · irnn ui</title>`,
    // No favicon request: the page asks this server for nothing it does not serve.
    '<link rel="icon" href="data:,">',
    '<link rel="stylesheet" href="/assets/ui.css">',
    '<script src="/assets/ui.js" defer></script>',
    '</head>',
    '<body>',
    `<header><span class="brand">irnn ui</span><nav>${nav}</nav><span class="db" title="store">${esc(o.db)}</span><span id="live-state" class="live-state">static</span></header>`,
    '<main>',
    o.page.top ?? '',
    `<div id="live">${o.page.live}</div>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
