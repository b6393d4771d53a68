// Live updates in a real browser: while a sweep trains (its first job short, its second long), the
// open pages follow the store without a reload: the sweep appears and its progress moves, the
// running run's step advances in the runs table, and its curve grows on its page.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { irnn, irnnDetached } from './sweep-helpers.js';
import { launchBrowser, startUi, watchedPage } from './ui-helpers.js';

const common = ['task.seq_len=8', 'train.eval_every=50', 'train.log_every=10', 'model.hidden=8', 'task.test_size=50', 'task.valid_size=50', '-q'];
const WAIT = { timeout: 180_000, polling: 200 };

test('pages follow a running sweep and run without a reload', async (t) => {
  const db = join(mkdtempSync(join(tmpdir(), 'irnn-ui-live-')), 'results.sqlite');
  const first = await irnn(['run', 'train.steps=2', ...common, '--db', db]);
  t.is(first.code, 0, first.stderr);
  const ui = await startUi(['--db', db]);
  const browser = await launchBrowser();
  let sweep: ReturnType<typeof irnnDetached> | null = null;
  try {
    const { page, errors, requests } = await watchedPage(browser);
    await page.goto(`${ui.origin}/sweeps`);
    await page.waitForFunction(() => document.getElementById('live-state')?.textContent === 'live');
    // Every progress text the page shows, and a mark that a reload would wipe.
    await page.evaluate(() => {
      const w = window as unknown as { seen: string[]; stay: boolean };
      w.stay = true;
      w.seen = [];
      new MutationObserver(() => {
        const text = document.querySelector('.progress-text')?.textContent;
        if (text && w.seen[w.seen.length - 1] !== text) w.seen.push(text);
      }).observe(document.getElementById('live')!, { childList: true, subtree: true });
    });
    // Job 1: 2000 steps (seconds); job 2: far more than the test waits for (stopped below).
    sweep = irnnDetached(['sweep', 'train.steps=2000,1000000', '--jobs', '1', ...common, '--db', db]);
    await page.waitForFunction(() => /^1\/2 done/.test(document.querySelector('.progress-text')?.textContent ?? ''), undefined, WAIT);
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    t.regex(seen[0]!, /^0\/2 done/, JSON.stringify(seen));
    t.true(await page.evaluate(() => (window as unknown as { stay?: boolean }).stay === true), 'the page reloaded');

    // The second job's run: its step advances in the runs table.
    await page.goto(`${ui.origin}/sweep?id=1`);
    await page.waitForFunction(() => /^#\d+$/.test(document.querySelector('.jobs tbody tr:nth-child(2) td:nth-child(3)')?.textContent ?? ''), undefined, WAIT);
    const runId = Number((await page.textContent('.jobs tbody tr:nth-child(2) td:nth-child(3)'))!.slice(1));
    await page.goto(`${ui.origin}/`);
    await page.evaluate(() => ((window as unknown as { stay: boolean }).stay = true));
    const stepOf = (id: number) => page.$eval(`tr[data-run="${id}"] .step`, (s) => Number(s.textContent)).catch(() => -1);
    await page.waitForFunction((id) => Number(document.querySelector(`tr[data-run="${id}"] .step`)?.textContent ?? -1) > 0, runId, WAIT);
    const step1 = await stepOf(runId);
    await page.waitForFunction(([id, s]) => Number(document.querySelector(`tr[data-run="${id}"] .step`)?.textContent ?? -1) > s, [runId, step1] as const, WAIT);
    t.true((await stepOf(runId)) > step1);
    t.true(await page.evaluate(() => (window as unknown as { stay?: boolean }).stay === true), 'the page reloaded');

    // Its curve grows on its page.
    await page.goto(`${ui.origin}/run?id=${runId}`);
    await page.evaluate(() => ((window as unknown as { stay: boolean }).stay = true));
    const points = `figure[data-plot="run${runId}-train-loss"] svg g.mark-symbol.role-mark > path`;
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length > 0, points, WAIT);
    const n1 = await page.$$eval(points, (ps) => ps.length);
    await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length > n, [points, n1] as const, WAIT);
    t.true((await page.$$eval(points, (ps) => ps.length)) > n1);
    t.true(await page.evaluate(() => (window as unknown as { stay?: boolean }).stay === true), 'the page reloaded');

    t.deepEqual(errors, []);
    t.deepEqual(requests.filter((u) => !u.startsWith(`${ui.origin}/`)), []);
  } finally {
    if (sweep?.pid && sweep.exitCode === null) {
      const exited = new Promise((r) => sweep!.once('exit', r));
      process.kill(-sweep.pid, 'SIGTERM');
      await exited;
    }
    await browser.close();
    await ui.stop();
  }
});
