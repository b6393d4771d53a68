// Hostile text in every field of a report that a user controls (run notes, overrides, the
// --where expression, config group option names, a corpus folder's name, error messages) must be
// shown as text, never become markup: the HTML report opened in headless Chromium, and the
// Markdown report rendered by markdown-it (raw HTML allowed, as many renderers do) in the same
// browser. No script runs, no dialog opens, no element is injected, the text is there verbatim.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import MarkdownIt from 'markdown-it';
import type { Page } from 'playwright-core';
import { launchChromium } from '../scripts/chromium.js';
import { Db } from '../src/store/db.js';
import { createRun, describeRun, finishRun, logMetrics } from '../src/store/runs.js';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const irnn = (args: string[], cwd: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';
const LINK = '[click](javascript:alert(3))';
const MARKS = '**bold** _it_ `tick` | pipe <!-- c -->';
const ATTR = '"><svg onload=alert(4)>';

/** Two real language-model runs on a corpus folder with a hostile name, with hostile notes. */
async function realRuns(dir: string, db: string): Promise<string> {
  const corpus = join(dir, `corpus ${IMG} ${ATTR}`);
  mkdirSync(corpus);
  for (const s of ['train', 'valid', 'test']) writeFileSync(join(corpus, `${s}.txt`), 'the cat sat on the mat\nthe dog ate the cat\n'.repeat(20));
  const common = [
    'task=lm_words', 'task.corpus=dir', `task.corpus_dir='${corpus}'`, 'task.vocab_size=12', 'task.embed_size=4', 'task.bptt=5',
    'task.eval_tokens=40', 'task.eval_batch_size=2', 'model.hidden=4', 'train.batch_size=2', 'train.steps=2', 'train.eval_every=2', '-q', '--db', db,
  ];
  for (const [i, note] of [`${IMG} ${LINK}`, `${SCRIPT} ${MARKS}`].entries()) {
    const r = await irnn(['run', `seed=${i}`, `+train.note='${note}'`, ...common], dir);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  return corpus;
}

/** Runs whose option names, host and error are hostile, written to the store directly (an option
 *  name is a file name in experiments/, which a test must not add to the repository). */
async function injectedRuns(db: string): Promise<void> {
  const store = await Db.open(db);
  const model = `${IMG}${ATTR}`;
  const task = `task ${SCRIPT}`;
  for (const [seed, status] of [[0, 'finished'], [1, 'failed']] as const) {
    const id = await createRun(store, {
      task, model, seed, config: { seed, task: { name: task, seq_len: 5 }, model: { name: model, hidden: 4, note: LINK }, train: { steps: 2 } },
      configHash: `h${seed}`, overrides: [`model=${model}`, `+model.note=${LINK}`, `seed=${seed}`], steps: 2,
      git: { commit: 'abc', dirty: false }, versions: { node: MARKS }, host: ATTR, pid: 1,
    });
    await describeRun(store, id, { backend: 'wasm', engine: 'fused', taskInfo: { seq_len: 5, main_metric: { name: 'test_mse', goal: 'min' }, baseline: { metric: 'test_mse', value: 0.2, label: LINK } }, params: 9 });
    for (const step of [0, 2]) await logMetrics(store, id, step, { test_mse: 0.3 - 0.1 * step, ms_per_step: 2, steps_per_sec: 500 });
    await finishRun(store, id, { status, step: 2, error: status === 'failed' ? `${SCRIPT} ${IMG}` : null });
  }
  await store.close();
}

/** What a hostile string could have done to a page: elements it injected, handlers, links. */
async function damage(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const el of Array.from(document.querySelectorAll('*'))) {
      const tag = el.tagName.toLowerCase();
      // The Markdown report's own figures are images of the SVG files written beside it.
      const figure = tag === 'img' && /^[\w.%-]+\.svg$/.test(el.getAttribute('src') ?? '');
      if (['img', 'script', 'iframe', 'object', 'embed', 'form', 'input', 'base'].includes(tag) && !figure) found.push(`<${tag} ${el.outerHTML.slice(0, 80)}>`);
      for (const a of Array.from(el.attributes)) if (/^on/i.test(a.name)) found.push(`${tag}[${a.name}]`);
      const href = el.getAttribute('href') ?? el.getAttribute('xlink:href') ?? (figure ? null : el.getAttribute('src'));
      if (href !== null && !href.startsWith('#')) found.push(`${tag}[href=${href}]`);
    }
    return found;
  });
}

test('hostile strings in every user-controlled field stay text in the HTML and the Markdown report', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-hostile-report-'));
  const db = join(dir, 'results.sqlite');
  const corpus = await realRuns(dir, db);
  await injectedRuns(db);
  const where = `seed >= 0 or model.name == "${IMG}"`;
  for (const out of ['r.html', 'r.md']) {
    const r = await irnn(['report', '--db', db, '--where', where, '--out', join(dir, out)], dir);
    t.is(r.code, 0, r.stderr);
  }
  const md = readFileSync(join(dir, 'r.md'), 'utf8');
  // Outside code spans (which every Markdown renderer shows verbatim) no tag is left raw.
  t.notRegex(md.replace(/`[^`\n]*`/g, ''), /<(img|script|svg)\b/i);
  const mdPage = join(dir, 'r-md.html');
  writeFileSync(mdPage, `<!DOCTYPE html><meta charset="utf-8"><body>${new MarkdownIt({ html: true, linkify: true }).render(md)}</body>`);

  const { browser, source } = await launchChromium();
  t.log(`Chromium: ${source}`);
  try {
    for (const file of ['r.html', 'r-md.html']) {
      const page = await browser.newPage();
      const dialogs: string[] = [];
      const errors: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(join(dir, file)).href, { waitUntil: 'load' });
      await page.waitForTimeout(200); // an injected onerror or onload would have fired by now
      t.deepEqual(await damage(page), [], file);
      t.deepEqual(dialogs, [], file);
      t.deepEqual(errors, [], file);
      const text = await page.evaluate(() => document.body.innerText);
      // Shown verbatim: notes and overrides (commands), the corpus folder, option names, --where.
      for (const s of [IMG, SCRIPT, LINK, '**bold**', ATTR, corpus]) t.true(text.includes(s), `${file}: ${s}`);
      t.true(text.includes(`where ${where}`), `${file}: the --where expression`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
});
