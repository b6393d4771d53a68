// End to end: a small sweep-like set of real runs (irnn and lstm, two seeds each) made with the CLI,
// `irnn report` on them, and the page opened in real headless Chromium (Debian's when installed,
// else the build in the @sparticuz/chromium npm package: scripts/chromium.ts): no console errors,
// no request but the file itself, every plot an SVG with data marks, both models in the summary
// table. Saves a screenshot beside the report.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from '../scripts/chromium.js';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));

function irnn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('a report of real runs opens in headless Chromium with its plots and no requests', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-report-browser-'));
  const db = join(dir, 'results.sqlite');
  const common = ['task.seq_len=8', 'train.steps=20', 'train.eval_every=10', 'model.hidden=8', 'task.test_size=50', '-q', '--db', db];
  const jobs = ['irnn', 'lstm'].flatMap((model) => [0, 1].map((seed) => ['run', `model=${model}`, `seed=${seed}`, ...common]));
  // The first run creates the store alone (two processes must not both create a new store); the
  // others run side by side, SQLite serialising their writes.
  const first = await irnn(jobs[0]!);
  t.is(first.code, 0, first.stderr);
  for (const r of await Promise.all(jobs.slice(1).map(irnn))) t.is(r.code, 0, r.stderr);
  const out = join(dir, 'x.html');
  const rep = await irnn(['report', '--db', db, '--out', out]);
  t.is(rep.code, 0, rep.stderr);
  t.regex(rep.stdout, /wrote .*x\.html: 4 runs, adding/);

  const { browser, source } = await launchChromium();
  t.log(`Chromium: ${source}`);
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    const failed: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    const url = pathToFileURL(out).href;
    const res = await page.goto(url, { waitUntil: 'load' });
    t.true(res?.ok() ?? false);

    const plots = await page.$$eval('figure.plot', (figs) =>
      figs.map((f) => ({
        id: f.getAttribute('data-plot'),
        svg: f.querySelector('svg') !== null,
        // Shapes drawn for data (not axes, grid or legend): vega puts them in role-mark groups.
        shapes: f.querySelectorAll('svg g.role-mark > path, svg g.role-mark > rect, svg g.role-mark > line').length,
      })),
    );
    t.true(plots.length >= 2, JSON.stringify(plots));
    t.true(plots.some((p) => p.id === 'adding-curves'), JSON.stringify(plots));
    for (const p of plots) {
      t.true(p.svg, `${p.id}: no <svg>`);
      t.true(p.shapes > 0, `${p.id}: no data marks`);
    }
    const models = await page.$$eval('#task-adding table:first-of-type tbody tr td:first-child', (tds) => tds.map((td) => td.textContent?.trim()));
    t.true(models.includes('irnn') && models.includes('lstm'), JSON.stringify(models));

    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.true(statSync(shot).size > 10_000);
    t.log(`screenshot: ${shot}`);

    t.deepEqual(errors, []);
    t.deepEqual(failed, []);
    t.deepEqual(requests, [url]);
  } finally {
    await browser.close();
  }
});
