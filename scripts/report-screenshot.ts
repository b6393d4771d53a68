// `npm run report:screenshot`: trains a small demo sweep in this process (adding problem, T = 10,
// irnn / lstm / rnn_tanh x learning rate x clipping x 2 seeds, 1000 steps each; a few minutes) into a
// temporary store, writes reports/demo.html from it, and saves a PNG of the page's top to
// docs/report.png with headless Chromium (the README shows it): Debian's when installed, else the
// build in the @sparticuz/chromium dev dependency (scripts/chromium.ts).
// Options: --db PATH (report an existing store instead of training the demo)  --keep (keep the
// demo store and print its path)  --out PATH (PNG path, default docs/report.png)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { composeConfig } from '../src/config/index.js';
import { Db } from '../src/store/db.js';
import { makeReport } from '../src/report/index.js';
import { train } from '../src/train/run.js';
import { launchChromium } from './chromium.js';

const WIDTH = 1024;

const { values: args } = parseArgs({
  options: { db: { type: 'string' }, keep: { type: 'boolean', default: false }, out: { type: 'string', default: 'docs/report.png' } },
});

/** The demo sweep: three models x learning rate x clipping x two seeds, plus one run set up to diverge. */
async function trainDemo(db: Db): Promise<void> {
  const base = ['task.seq_len=10', 'task.test_size=500', 'model.hidden=32', 'train.steps=1000', 'train.eval_every=50'];
  const grid: string[][] = [];
  for (const model of ['irnn', 'lstm', 'rnn_tanh']) {
    for (const lr of ['0.001', '0.003']) {
      for (const clip of ['1', '10']) for (const seed of ['0', '1']) grid.push([`model=${model}`, `optimizer.lr=${lr}`, `optimizer.clip=${clip}`, `seed=${seed}`]);
    }
  }
  // An unclipped step size this large overflows: the report must show the diverged run, not hide it.
  grid.push(['model=irnn', 'optimizer=sgd', 'optimizer.lr=100', 'optimizer.clip=null', 'seed=0']);
  for (const [i, overrides] of grid.entries()) {
    const r = await train({ resolved: composeConfig({ overrides: [...overrides, ...base] }), db });
    process.stderr.write(`[${i + 1}/${grid.length}] ${overrides.join(' ')}: ${r.status}\n`);
  }
}

const dir = args.db ? null : mkdtempSync(join(tmpdir(), 'irnn-demo-'));
const dbPath = args.db ?? join(dir!, 'demo.sqlite');
const db = await Db.open(dbPath);
if (!args.db) await trainDemo(db);

const html = join('reports', 'demo.html');
await makeReport({ db, dbPath, selection: {}, out: html });
await db.close();

const { browser } = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: WIDTH, height: 1000 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(join(process.cwd(), html)).href);
  // From the top down to the first task's sweep heat-map (or its learning curves).
  const bottom = await page.$$eval('figure.plot', (figs) => {
    const fig = figs.find((f) => f.getAttribute('data-plot')?.endsWith('-sweep')) ?? figs[0];
    const box = fig?.getBoundingClientRect();
    return box ? Math.ceil(box.bottom + window.scrollY) + 8 : 1400;
  });
  await page.screenshot({ path: args.out, fullPage: true, clip: { x: 0, y: 0, width: WIDTH, height: bottom } });
} finally {
  await browser.close();
}
console.log(`wrote ${html} and ${args.out} (${Math.round(statSync(args.out).size / 1024)} KB)`);
if (dir && args.keep) console.log(`demo store: ${dbPath}`);
else if (dir) rmSync(dir, { recursive: true, force: true });
