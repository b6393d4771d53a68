// `irnn ui`'s safety, as a client sees it: off loopback every request (page, asset, event stream)
// needs the printed token, which a browser then keeps in a cookie; on loopback a foreign Host
// header is refused; only GET is served; the store is opened read-only and never created.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../src/store/db.js';
import { createRun } from '../src/store/runs.js';
import { irnn } from './sweep-helpers.js';
import { launchBrowser, startUi, watchedPage } from './ui-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'irnn-ui-server-'));
const db = join(dir, 'results.sqlite');

const run = (pid: number, seed: number) => ({
  task: 'adding', model: 'irnn', seed, config: { seed, model: { name: 'irnn' } }, configHash: `h${seed}`, overrides: [`seed=${seed}`],
  steps: 100, git: { commit: null, dirty: null }, versions: {}, host: hostname(), pid,
});

test.before(async () => {
  // Two runs left `running`: one by this (live) process, one by a process that has exited.
  const store = await Db.open(db);
  const gone = spawnSync(process.execPath, ['-e', '']).pid;
  await createRun(store, run(process.pid, 0));
  await createRun(store, run(gone, 1));
  await store.close();
});

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      // An event stream does not end: its status and headers are enough.
      if (res.headers['content-type']?.startsWith('text/event-stream')) {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        req.destroy();
      }
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('off loopback, a request without the token is refused; the token URL sets a cookie that works in a browser', async (t) => {
  const ui = await startUi(['--db', db, '--host', '0.0.0.0']);
  try {
    const token = new URL(ui.url).searchParams.get('token');
    t.truthy(token);
    t.true(token!.length >= 32);
    const base = `http://127.0.0.1:${new URL(ui.url).port}`;
    for (const path of ['/', '/sweeps', '/run?id=1', '/assets/ui.js', '/assets/ui.css', '/events', '/no-such-page']) {
      t.is((await get(`${base}${path}`)).status, 403, path);
    }
    t.is((await get(`${base}/?token=${'x'.repeat(token!.length)}`)).status, 403);
    t.is((await get(`${base}/`, { Cookie: 'irnn_ui_token=wrong' })).status, 403);
    const ok = await get(`${base}/?token=${token}`);
    t.is(ok.status, 200);
    const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
    t.is(cookie, `irnn_ui_token=${token}`);
    t.is((await get(`${base}/assets/ui.js`, { Cookie: cookie })).status, 200);
    t.is((await get(`${base}/events`, { Cookie: cookie })).status, 200);

    const browser = await launchBrowser();
    try {
      const { page, errors, requests } = await watchedPage(browser);
      t.is((await page.goto(`${base}/?token=${token}`))?.status(), 200);
      // The page's script and stylesheet came with the cookie: the script reports the live state.
      await page.waitForFunction(() => document.getElementById('live-state')?.textContent === 'live');
      t.is((await page.goto(`${base}/sweeps`))?.status(), 200);
      t.deepEqual(errors, []);
      t.deepEqual(requests.filter((u) => !u.startsWith(`${base}/`)), []);
    } finally {
      await browser.close();
    }
  } finally {
    await ui.stop();
  }
});

test('on loopback: no token, but a foreign Host header is refused, and only GET is served', async (t) => {
  const ui = await startUi(['--db', db]);
  try {
    t.is(new URL(ui.url).hostname, '127.0.0.1');
    t.is(new URL(ui.url).search, '');
    const page = await get(ui.url);
    t.is(page.status, 200);
    t.regex(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    t.is((await get(ui.url, { Host: 'attacker.example:80' })).status, 403);
    t.is((await get(ui.url, { Host: `localhost:${new URL(ui.url).port}` })).status, 200);
    t.is((await get(ui.url, {}, 'POST')).status, 405);
    // The run whose process is gone is flagged stale; the live one is not.
    const rows = [...page.body.matchAll(/<tr data-run="(\d+)"[^>]*>.*?<span class="status ([^"]+)"[^>]*>([^<]+)</gs)].map((m) => [m[1], m[3]]);
    t.deepEqual(rows.sort(), [['1', 'running'], ['2', 'running · stale']]);
  } finally {
    await ui.stop();
  }
});

test('the store is opened read-only: writes are refused, and a missing store is neither created nor served', async (t) => {
  const ro = await Db.openReadOnly(db);
  try {
    await t.throwsAsync(ro.run("INSERT INTO sweeps (spec_json, command, status, created_at) VALUES ('{}', 'x', 'running', 'now')"), { message: /SQLITE_READONLY/ });
  } finally {
    await ro.close();
  }
  const missing = join(dir, 'nowhere', 'results.sqlite');
  const r = await irnn(['ui', '--db', missing, '--port', '0']);
  t.is(r.code, 2);
  t.regex(r.stderr, /no store at /);
  t.false(existsSync(join(dir, 'nowhere')));
});
