// End to end, the check in small: a tanh RNN and an IRNN on the adding problem, trained
// with the CLI (diagnostics on by default), `irnn runs show` printing how many decades each
// one's gradient falls, and `irnn report` drawing the gradient-flow panel, opened in headless
// Chromium (found by scripts/chromium.ts): SVG with heat-map cells and lines, no console errors.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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

test('irnn runs show and irnn report show the gradient profiles of a tanh RNN and an IRNN', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-gradients-'));
  const db = join(dir, 'results.sqlite');
  const common = ['task.seq_len=40', 'train.steps=20', 'train.eval_every=10', 'model.hidden=16', 'task.test_size=50', '-q', '--db', db];
  for (const model of ['rnn_tanh', 'irnn']) {
    const r = await irnn(['run', `model=${model}`, ...common]);
    t.is(r.code, 0, r.stderr);
  }

  // runs show: a line per layer and direction with the decades fallen from lag 1 to lag 40.
  const decades: number[] = [];
  for (const id of [1, 2]) {
    const show = await irnn(['runs', 'show', String(id), '--db', db]);
    t.is(show.code, 0, show.stderr);
    t.regex(show.stdout, /gradient flow at step 20/);
    const line = /^\s*0\s+forward\s+\|dL\/dh_t\|\s+\S+\s+40\s+\S+\s+(>\s*)?(-?[\d.]+)/m.exec(show.stdout);
    t.truthy(line, show.stdout);
    decades.push(Number(line![2]));
    const json = JSON.parse((await irnn(['runs', 'show', String(id), '--json', '--db', db])).stdout) as { gradients: { step: number; profiles: Array<{ lags: number }> } };
    t.is(json.gradients.step, 20);
    t.is(json.gradients.profiles[0]!.lags, 40);
  }
  // The tanh RNN's gradient vanishes over 40 steps; the IRNN's barely moves.
  t.true(decades[0]! > 5, `rnn_tanh: ${decades[0]} decades`);
  t.true(decades[1]! < 2, `irnn: ${decades[1]} decades`);

  const out = join(dir, 'g.html');
  const rep = await irnn(['report', '--db', db, '--out', out]);
  t.is(rep.code, 0, rep.stderr);

  const { browser } = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });
    t.true(res?.ok() ?? false);
    const fig = await page.$eval('figure[data-plot="adding-gradients"]', (f) => ({
      rects: f.querySelectorAll('svg g.role-mark > path, svg g.role-mark > rect').length,
      lines: f.querySelectorAll('svg g.mark-line path').length,
      titles: [...f.querySelectorAll('svg text')].map((x) => x.textContent),
      caption: f.querySelector('figcaption')?.textContent ?? '',
    }));
    // Two heat-maps of 40 lags x 3 evaluations, plus the profile and radius lines.
    t.true(fig.rects >= 2 * 40 * 3, `${fig.rects} data marks`);
    t.true(fig.lines >= 4, `${fig.lines} lines`);
    for (const s of ['irnn', 'rnn_tanh', 'final profile', 'spectral radius of W']) t.true(fig.titles.includes(s), `${s} in ${JSON.stringify(fig.titles)}`);
    t.regex(fig.caption, /rnn_tanh \(run 1, step 20\): falls (more than )?[\d.]+ decades/);
    t.regex(fig.caption, /irnn \(run 2, step 20\): (falls|rises) [\d.]+ decades/);
    t.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
