// Every read command (runs list, runs show, report, sweeps list, sweeps show, ui) leaves the
// store's file and its -wal and -shm files as they were, byte for byte and present or absent:
// on a store closed cleanly, while a writer holds it open with its writes still in the WAL, and
// on the -wal (with or without its -shm) that a killed writer left behind. Each reads the data.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { irnn } from './sweep-helpers.js';
import { startUi } from './ui-helpers.js';

const HOLDER = new URL('./store-holder.ts', import.meta.url).pathname;

/** The store's three files, each as its bytes (base64) or null when absent. */
const files = (db: string) => Object.fromEntries(['', '-wal', '-shm'].map((s) => [`store${s}`, existsSync(db + s) ? readFileSync(db + s).toString('base64') : null]));

function holder(db: string): Promise<ChildProcess> {
  const child = fork(HOLDER, [db], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`store holder exited (${code})`)));
  });
}
const killed = (c: ChildProcess) => new Promise<void>((r) => (c.once('exit', () => r()), c.kill('SIGKILL')));
const closed = (c: ChildProcess) => new Promise<void>((r) => (c.once('exit', () => r()), c.send('close')));

const page = (url: string) =>
  new Promise<string>((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
    }).on('error', reject);
  });

/** Runs every read command on the store; each must exit 0 and show the run or sweep. */
async function readAll(t: import('ava').ExecutionContext, db: string, out: string): Promise<void> {
  const expect: Array<[string[], RegExp]> = [
    [['runs', 'list'], /finished\s+adding\s+irnn/],
    [['runs', 'show', '1'], /gradient flow at step 4/],
    [['report', '--out', join(out, 'report.html')], /wrote .*report\.html: 1 runs/],
    [['sweeps', 'list'], /irnn sweep seed=1/],
    [['sweeps', 'show', '1'], /sweep 1: running, 1 jobs \(1 finished\)/],
  ];
  for (const [args, re] of expect) {
    const r = await irnn([...args, '--db', db]);
    t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stdout, re, args.join(' '));
  }
  const ui = await startUi(['--db', db]);
  try {
    t.regex(await page(`${ui.url.replace(/\/$/, '')}/run?id=1`), /Run 1: irnn on adding/);
  } finally {
    await ui.stop();
  }
}

test('read commands leave a cleanly closed store byte-identical', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-ro-'));
  const db = join(dir, 'results.sqlite');
  await closed(await holder(db));
  const before = files(db);
  t.is(before['store-wal'], null, 'a clean store has no -wal');
  await readAll(t, db, dir);
  t.deepEqual(files(db), before);
});

test('read commands leave the store byte-identical while a writer holds it open', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-ro-'));
  const db = join(dir, 'results.sqlite');
  const writer = await holder(db);
  try {
    const before = files(db);
    t.truthy(before['store-wal'] && before['store-shm'], 'the writer has a -wal and a -shm');
    await readAll(t, db, dir);
    t.deepEqual(files(db), before);
  } finally {
    await killed(writer);
  }
});

test('read commands leave the -wal of a killed writer (with or without its -shm) as it was, and read it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-ro-'));
  const db = join(dir, 'results.sqlite');
  await killed(await holder(db));
  const before = files(db);
  t.truthy(before['store-wal'], 'the killed writer left its -wal');
  await readAll(t, db, dir);
  t.deepEqual(files(db), before);

  rmSync(`${db}-shm`);
  const noShm = files(db);
  const r = await irnn(['runs', 'show', '1', '--db', db]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /gradient flow at step 4/);
  t.deepEqual(files(db), noShm);
});
