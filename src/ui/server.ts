// The dashboard's HTTP server (node:http): GET only, pages rendered on the server from a read-only
// store connection, two local assets, and server-sent events for live updates. Every response
// carries a content-security policy that lets the page load nothing but this server's own files.
// Off loopback, every request needs the random token printed in the URL (then kept in a cookie).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Db } from '../store/db.js';
import { CSS } from '../report/render.js';
import { comparePage } from './compare-page.js';
import { shell, type Page } from './layout.js';
import { ChangeWatcher } from './live.js';
import { runPage } from './run-page.js';
import { runsPage } from './runs-page.js';
import { sweepPage, sweepsPage } from './sweeps-page.js';

/** Scripts and styles from this server only; inline style attributes are allowed because vega's
 *  SVG uses them (no inline <style> or <script>); fetches and events back to this server only. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src-elem 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGES: Record<string, (db: Db, q: URLSearchParams) => Promise<Page>> = {
  '/': runsPage,
  '/run': runPage,
  '/compare': comparePage,
  '/sweeps': (db) => sweepsPage(db),
  '/sweep': sweepPage,
};

const ASSETS: Record<string, { file: string; type: string }> = {
  '/assets/ui.js': { file: 'ui.js', type: 'text/javascript; charset=utf-8' },
  '/assets/ui.css': { file: 'ui.css', type: 'text/css; charset=utf-8' },
};
const assetText = (file: string) => readFileSync(new URL(`./assets/${file}`, import.meta.url), 'utf8');

const COOKIE = 'irnn_ui_token';
const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/;
export const isLoopback = (host: string) => LOOPBACK.test(host);

export interface UiServer {
  server: Server;
  url: string;
  token: string | null;
  close(): Promise<void>;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

/** The host name of a Host header ("127.0.0.1:8765", "[::1]:8765"). */
const hostName = (h: string) => (h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.replace(/:\d+$/, ''));

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(body);
}

export async function startServer(o: { db: Db; dbLabel: string; host: string; port: number }): Promise<UiServer> {
  const token = isLoopback(o.host) ? null : randomBytes(24).toString('base64url');
  const watcher = new ChangeWatcher(o.db);
  const assets = Object.fromEntries(Object.entries(ASSETS).map(([path, a]) => [path, { ...a, body: assetText(a.file) }]));
  // The report's stylesheet first, so tables and figures look as they do in a report.
  assets['/assets/ui.css']!.body = `${CSS}\n${assets['/assets/ui.css']!.body}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'read-only: GET only\n', { Allow: 'GET, HEAD' });
    const extra: Record<string, string> = {};
    if (token === null) {
      // On loopback no token is asked for, so the Host header must name this machine: a web page
      // elsewhere cannot reach the dashboard through a DNS name that resolves to 127.0.0.1.
      if (!isLoopback(hostName(req.headers.host ?? ''))) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden: unexpected Host header\n');
    } else {
      const given = url.searchParams.get('token');
      if (given !== null && same(given, token)) extra['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
      else if (!same(cookie(req, COOKIE) ?? '', token)) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden: open the URL with the token that irnn ui printed\n');
    }
    if (url.pathname === '/events') return watcher.attach(res);
    const asset = assets[url.pathname];
    if (asset) return send(res, 200, asset.type, asset.body, extra);
    const page = PAGES[url.pathname];
    if (!page) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', extra);
    url.searchParams.delete('token');
    const p = await page(o.db, url.searchParams);
    // The page's script asks for the live part only when the store changed.
    const body = req.headers['x-irnn-partial'] === '1' ? p.live : shell({ page: p, path: url.pathname, db: o.dbLabel });
    send(res, p.status ?? 200, 'text/html; charset=utf-8', body, extra);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `error: ${(e as Error).message}\n`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const shown = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `http://${shown}:${port}/${token ? `?token=${token}` : ''}`;
  return {
    server,
    url,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        watcher.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
