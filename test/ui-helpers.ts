// Helpers shared by the dashboard tests (not a test file itself): `irnn ui` started as a user
// starts it (its URL read from stdout), headless Chromium (found as the report test finds it:
// scripts/chromium.ts), and a page that records console errors and every request it makes.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../scripts/chromium.js';
import { BIN } from './sweep-helpers.js';


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

export async function launchBrowser(): Promise<Browser> {
  return (await launchChromium()).browser;
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
