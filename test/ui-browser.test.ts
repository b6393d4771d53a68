// End to end: `irnn ui` on a store with real runs (one with a hostile config value) and a sweep,
// opened in headless Chromium: the runs table lists them, a --where filter narrows it, the compare
// view plots two runs, the sweep page shows progress and the heat-map; no console errors, no
// request outside the server, and the hostile string is shown as text without running.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { irnn } from './sweep-helpers.js';
import { launchBrowser, startUi, watchedPage, type Ui } from './ui-helpers.js';

const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
const dir = mkdtempSync(join(tmpdir(), 'irnn-ui-browser-'));
const db = join(dir, 'results.sqlite');
const common = ['task.seq_len=8', 'train.steps=20', 'train.eval_every=10', 'model.hidden=8', 'task.test_size=50', 'task.valid_size=50', '-q', '--db', db];

let ui: Ui;
let browser: Browser;

test.before(async () => {
  const first = await irnn(['run', 'model=irnn', `+train.note='${HOSTILE}'`, ...common]);
  if (first.code !== 0) throw new Error(first.stderr);
  const sweep = await irnn(['sweep', 'model=irnn,lstm', 'optimizer.lr=0.001,0.01', '--jobs', '2', ...common]);
  if (sweep.code !== 0) throw new Error(sweep.stderr);
  ui = await startUi(['--db', db]);
  browser = await launchBrowser();
});

test.after.always(async () => {
  await browser?.close();
  await ui?.stop();
});

const marks = 'svg g.role-mark > path, svg g.role-mark > rect, svg g.role-mark > line';

test('runs table, --where filter, compare and sweep views in a real browser, nothing loaded from elsewhere', async (t) => {
  const { page, errors, requests, dialogs } = await watchedPage(browser);
  const res = await page.goto(ui.url);
  t.is(res?.status(), 200);
  t.true((res?.headers()['content-security-policy'] ?? '').includes("default-src 'none'"));
  const ids = await page.$$eval('tr[data-run]', (trs) => trs.map((tr) => Number(tr.getAttribute('data-run'))));
  t.deepEqual([...ids].sort(), [1, 2, 3, 4, 5]);
  // The varying keys (learning rate) are columns.
  t.true((await page.textContent('table.runs thead'))!.includes('lr'));

  // Sorting by a column: the learning rate ascending, then descending.
  const lrs = () => page.$$eval('tr[data-run]', (trs) => trs.map((tr) => Number(tr.querySelectorAll('td')[5]!.textContent)));
  t.regex((await page.textContent('table.runs thead th:nth-child(6)'))!, /^lr/);
  await Promise.all([page.waitForURL(/sort=cfg/), page.click('table.runs thead th:nth-child(6) a')]);
  t.deepEqual(await lrs(), [0.001, 0.001, 0.001, 0.01, 0.01]);
  await Promise.all([page.waitForURL(/dir=desc/), page.click('table.runs thead th:nth-child(6) a')]);
  t.deepEqual(await lrs(), [0.01, 0.01, 0.001, 0.001, 0.001]);

  await page.fill('input[name=where]', 'model.name == "lstm"');
  await Promise.all([page.waitForURL(/where=/), page.click('form.filter button')]);
  const lstm = await page.$$eval('tr[data-run]', (trs) => trs.map((tr) => tr.querySelectorAll('td')[4]!.textContent));
  t.deepEqual(lstm, ['lstm', 'lstm']);
  // A bad expression is a 400 with the same one-line message as `irnn report --where` (on a page
  // of its own: the browser logs the 400 as a console error).
  const other = await browser.newPage();
  const bad = await other.goto(`${ui.origin}/?where=${encodeURIComponent('no_such_key > 1')}`);
  t.is(bad?.status(), 400);
  t.regex((await other.textContent('.error'))!, /no run has 'no_such_key'/);
  await other.close();

  await page.goto(`${ui.origin}/?where=${encodeURIComponent('model.name == "lstm"')}`);
  for (const box of await page.$$('input[type=checkbox][form=compare]')) await box.check();
  await Promise.all([page.waitForURL(/\/compare\?/), page.click('#compare button')]);
  const plots = await page.$$eval('figure.plot', (figs, sel) => figs.map((f) => ({ id: f.getAttribute('data-plot'), marks: f.querySelectorAll(sel).length })), marks);
  t.true(plots.some((p) => p.id === 'compare-valid-mse'), JSON.stringify(plots));
  for (const p of plots) t.true(p.marks > 0, `${p.id}: no data marks`);
  // Both runs are in the legend of the plot.
  const legend = await page.$$eval('figure[data-plot=compare-valid-mse] svg g.role-legend text', (ts) => ts.map((x) => x.textContent ?? ''));
  t.is(legend.filter((x) => /^#\d+ lstm/.test(x)).length, 2, JSON.stringify(legend));

  await page.goto(`${ui.origin}/run?id=2&diff=3`);
  t.true((await page.$$('figure.plot')).length >= 3);
  // The config diff against run 3 lists the learning rate, and only keys that differ.
  const diff = await page.$$eval('.config-diff tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  t.true(diff.some((r) => r[0] === 'optimizer.lr'), JSON.stringify(diff));
  for (const r of diff) t.not(r[1], r[2]);

  await page.goto(`${ui.origin}/sweeps`);
  t.regex((await page.textContent('.progress-text'))!, /^4\/4 done: 4 finished/);
  t.is(await page.$$eval('svg.progress rect[data-status=finished]', (r) => r.length), 1);
  await page.click('a[href="/sweep?id=1"]');
  await page.waitForURL(/\/sweep\?id=1/);
  const heat = await page.$$eval('figure.plot[data-plot$="-sweep"]', (figs, sel) => figs.map((f) => f.querySelectorAll(sel).length), marks);
  t.is(heat.length, 1);
  t.true(heat[0]! > 0);
  t.is(await page.$$eval('.jobs tbody tr', (trs) => trs.length), 4);

  t.deepEqual(errors, []);
  t.deepEqual(dialogs, []);
  const outside = requests.filter((u) => !u.startsWith(`${ui.origin}/`));
  t.deepEqual(outside, []);
  await page.close();
});

test('a hostile config value is shown as text and nothing in it runs', async (t) => {
  const { page, errors, requests, dialogs } = await watchedPage(browser);
  await page.goto(`${ui.origin}/run?id=1`);
  t.true((await page.textContent('pre.config'))!.includes(HOSTILE));
  // Filtering on it echoes it into the form and the summary line: still text.
  await page.goto(`${ui.origin}/?where=${encodeURIComponent(`train.note == ${JSON.stringify(HOSTILE)}`)}`);
  t.deepEqual(await page.$$eval('tr[data-run]', (trs) => trs.map((tr) => tr.getAttribute('data-run'))), ['1']);
  t.is(await page.inputValue('input[name=where]'), `train.note == ${JSON.stringify(HOSTILE)}`);
  t.true((await page.textContent('p.lead'))!.includes(`train.note == ${JSON.stringify(HOSTILE)}`));
  await page.waitForTimeout(300);
  t.is(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  t.is(await page.$$eval('img', (imgs) => imgs.length), 0);
  t.is(await page.$$eval('#live script, main script', (s) => s.length), 0);
  t.deepEqual(dialogs, []);
  t.deepEqual(errors, []);
  t.deepEqual(requests.filter((u) => !u.startsWith(`${ui.origin}/`)), []);
  await page.close();
});
