// `npm run ui:screenshot`: trains a small demo sweep (adding problem, T = 10, irnn / lstm / rnn_tanh x
// two learning rates x two seeds, 600 steps each; a few minutes) into a temporary store, starts a
// second sweep that is still running when the pictures are taken, serves the store with `irnn ui`
// and saves PNGs of the runs page (docs/ui.png) and of the finished sweep's page (docs/ui-sweep.png)
// with headless Chromium (scripts/chromium.ts finds one); the README shows them.
// Options: --db PATH (show an existing store instead of training the demo)  --keep (keep the demo
// store and print its path)  --out-dir DIR (default docs)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Db } from '../src/store/db.js';
import { startServer } from '../src/ui/server.js';
import { sleep } from '../src/util/time.js';
import { launchChromium } from './chromium.js';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const WIDTH = 1280;

const { values: args } = parseArgs({
  options: { db: { type: 'string' }, keep: { type: 'boolean', default: false }, 'out-dir': { type: 'string', default: 'docs' } },
});

const irnn = (argv: string[], o: { detached?: boolean } = {}): ChildProcess =>
  spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'ignore', 'inherit'], detached: o.detached ?? false });
const exited = (p: ChildProcess) => new Promise<number>((resolve) => (p.exitCode !== null ? resolve(p.exitCode) : p.once('exit', (c) => resolve(c ?? 1))));

const BASE = ['task.seq_len=10', 'task.test_size=500', 'task.valid_size=500', 'model.hidden=32', 'train.eval_every=50', 'train.log_every=25', '-q'];

/** The demo: a finished sweep, then a second one left running (returned, to be stopped). */
async function trainDemo(dbPath: string): Promise<ChildProcess> {
  const grid = ['model=irnn,lstm,rnn_tanh', 'optimizer.lr=0.001,0.003', 'seed=0,1', 'train.steps=600'];
  if ((await exited(irnn(['sweep', ...grid, ...BASE, '--jobs', '2', '--db', dbPath]))) !== 0) throw new Error('the demo sweep failed');
  const running = irnn(['sweep', 'model=irnn,lstm', 'optimizer.lr=0.01', 'seed=2,3', 'train.steps=20000', ...BASE, '--jobs', '2', '--db', dbPath], { detached: true });
  // Until both running jobs have logged a few hundred steps.
  const db = await Db.openReadOnly(dbPath);
  try {
    for (let i = 0; i < 600; i++) {
      await sleep(1000);
      const r = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM runs WHERE status = 'running' AND step >= 300");
      if ((r?.n ?? 0) >= 2) break;
    }
  } finally {
    await db.close();
  }
  return running;
}

const dir = args.db ? null : mkdtempSync(join(tmpdir(), 'irnn-ui-demo-'));
const dbPath = args.db ?? join(dir!, 'demo.sqlite');
const running = args.db ? null : await trainDemo(dbPath);
const outDir = args['out-dir'];
const db = await Db.openReadOnly(dbPath);
const ui = await startServer({ db, dbLabel: args.db ?? 'demo.sqlite', host: '127.0.0.1', port: 0 });
const { browser } = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: WIDTH, height: 800 }, deviceScaleFactor: 1 });
  await page.goto(ui.url);
  await page.waitForFunction(() => document.getElementById('live-state')?.textContent === 'live');
  // Two runs ticked for comparison, as a user would before pressing "Compare selected".
  // (Locators, not element handles: the page redraws its table while the sweep runs.)
  for (const i of [2, 3]) await page.locator('input[type=checkbox][form=compare]').nth(i).check();
  const end = await page.$eval('#live', (e) => Math.ceil(e.getBoundingClientRect().bottom + window.scrollY) + 16);
  await page.screenshot({ path: join(outDir, 'ui.png'), fullPage: true, clip: { x: 0, y: 0, width: WIDTH, height: end } });
  await page.goto(new URL('/sweep?id=1', ui.url).href);
  const bottom = await page.$$eval('figure.plot', (figs) => {
    const fig = figs.find((f) => f.getAttribute('data-plot')?.endsWith('-sweep')) ?? figs[0];
    const box = fig?.getBoundingClientRect();
    return box ? Math.ceil(box.bottom + window.scrollY) + 8 : 1400;
  });
  await page.screenshot({ path: join(outDir, 'ui-sweep.png'), fullPage: true, clip: { x: 0, y: 0, width: WIDTH, height: bottom } });
} finally {
  await browser.close();
  await ui.close();
  await db.close();
  if (running?.pid && running.exitCode === null) {
    process.kill(-running.pid, 'SIGTERM');
    await exited(running);
  }
}
for (const f of ['ui.png', 'ui-sweep.png']) console.log(`wrote ${join(outDir, f)} (${Math.round(statSync(join(outDir, f)).size / 1024)} KB)`);
if (dir && args.keep) console.log(`demo store: ${dbPath}`);
else if (dir) rmSync(dir, { recursive: true, force: true });
