// Helpers shared by the dashboard tests (not a test file itself): `irnn ui` started as a user
// starts it (its URL read from stdout), headless Chromium (Debian's /usr/bin/chromium, as the
// report test), and a page that records console errors and every request it makes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BIN } from './sweep-helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Ui {
  url: string;
  origin: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `irnn ui ARGS` and resolves with the URL it prints (rejects if it exits first). */
export function startUi(args: string[]): Promise<Ui> {
  const proc = spawn(process.execPath, [BIN, 'ui', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /irnn ui: (http:\/\/\S+)/.exec(out);
      if (m) {
        const url = m[1]!;
        resolve({
          url,
          origin: new URL(url).origin,
          proc,
          stop: () =>
            new Promise<void>((done) => {
              if (proc.exitCode !== null) return done();
              proc.once('exit', () => done());
              proc.kill('SIGTERM');
            }),
        });
      }
    });
    proc.once('exit', (code) => reject(new Error(`irnn ui exited (${code}) before printing its URL: ${out}${err}`)));
  });
}

export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does this)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

export interface Watched {
  page: Page;
  errors: string[];
  requests: string[];
  dialogs: string[];
}

/** A new page that records console errors, page errors, dialogs and every request URL. */
export async function watchedPage(browser: Browser): Promise<Watched> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const w: Watched = { page, errors: [], requests: [], dialogs: [] };
  page.on('console', (m) => m.type() === 'error' && w.errors.push(m.text()));
  page.on('pageerror', (e) => w.errors.push(e.message));
  page.on('request', (r) => w.requests.push(r.url()));
  // Leaving a page aborts its event stream and a refresh still in flight; any other failed
  // request is an error.
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    const leftBehind = why === 'net::ERR_ABORTED' && (r.resourceType() === 'eventsource' || r.resourceType() === 'fetch');
    if (!leftBehind) w.errors.push(`request failed: ${r.url()}: ${why}`);
  });
  page.on('dialog', (d) => {
    w.dialogs.push(d.message());
    void d.dismiss();
  });
  return w;
}
