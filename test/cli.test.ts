// End-to-end: the `irnn` binary as a user runs it, on a temporary store.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oldStore } from './old-store.js';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));

export function irnn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const tmpDb = () => join(mkdtempSync(join(tmpdir(), 'irnn-cli-')), 'results.sqlite');

test('irnn run trains, records the run, and runs list/show read it back', async (t) => {
  const db = tmpDb();
  const r = await irnn(['run', 'task.seq_len=10', 'train.steps=20', 'train.eval_every=10', 'model.hidden=8', 'task.test_size=50', '--db', db]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /run 1: adding \/ irnn seed 0/);
  t.regex(r.stdout, /run 1 finished at step 20: .*test_mse=/);
  t.regex(r.stdout, /vs baseline 0\.1667: always predict 1/);
  const list = await irnn(['runs', 'list', '--json', '--db', db]);
  t.is(list.code, 0, list.stderr);
  const runs = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
  t.is(runs.length, 1);
  const run = runs[0]!;
  for (const k of ['id', 'status', 'task', 'model', 'seed', 'config', 'metrics']) t.true(k in run, k);
  t.is(run['status'], 'finished');
  t.is(run['task'], 'adding');
  t.is(run['model'], 'irnn');
  t.is(typeof (run['metrics'] as Record<string, number>)['test_mse'], 'number');
  t.is((run['config'] as { model: { hidden: number } }).model.hidden, 8);
  const text = await irnn(['runs', 'list', '--db', db]);
  t.regex(text.stdout, /1\s+finished\s+adding\s+irnn\s+10\s+0/);
  const show = await irnn(['runs', 'show', '1', '--json', '--db', db]);
  t.is(show.code, 0);
  const shown = JSON.parse(show.stdout) as { history: Array<{ step: number }> };
  t.deepEqual([...new Set(shown.history.map((h) => h.step))], [0, 10, 20]);
});

test('irnn run --json prints the finished run as JSON', async (t) => {
  const db = tmpDb();
  const r = await irnn(['run', 'model=gru', 'task.seq_len=6', 'train.steps=3', 'model.hidden=4', 'task.test_size=20', '--json', '--db', db]);
  t.is(r.code, 0, r.stderr);
  const run = JSON.parse(r.stdout) as { status: string; model: string; params: number };
  t.is(run.status, 'finished');
  t.is(run.model, 'gru');
  // GRU, input 2, hidden 4: U 2x12 + b 12 + W 4x12 + bh 12 + readout 4x1 + 1
  t.is(run.params, 24 + 12 + 48 + 12 + 4 + 1);
});

for (const [args, pattern] of [
  [['model.hiden=3'], /model\.hidden/],
  [['model=nope'], /gru, irnn, lstm, rnn_relu, rnn_tanh/],
  [['optimizer.lr=abc'], /optimizer\.lr: expected a number/],
  [['task.seq_len=1'], /task\.seq_len/],
] as const) {
  test(`irnn run ${args.join(' ')} exits 2 with one line`, async (t) => {
    const r = await irnn(['run', ...args, '--db', tmpDb()]);
    t.is(r.code, 2);
    t.regex(r.stderr, pattern);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
}

test('a --db that is not a SQLite file exits 2 and is left untouched', async (t) => {
  const p = join(mkdtempSync(join(tmpdir(), 'irnn-cli-')), 'data.csv');
  writeFileSync(p, 'a,b\n1,2\n');
  const r = await irnn(['runs', 'list', '--db', p]);
  t.is(r.code, 2);
  t.regex(r.stderr, /not a SQLite database/);
  t.is(readFileSync(p, 'utf8'), 'a,b\n1,2\n');
});

test('read commands never create a store: a missing one is exit 2 and no folder appears', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'irnn-cli-'));
  const db = join(base, 'typo', 'dir', 'store.sqlite');
  for (const args of [['runs', 'list'], ['runs', 'show', '1'], ['sweeps', 'list'], ['sweeps', 'show', '1'], ['report']]) {
    const r = await irnn([...args, '--db', db]);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.is(r.stderr.trim(), `Error: no store at ${db}`);
  }
  t.deepEqual(readdirSync(base), []);
});

test('reading an older store with runs, sweeps and report neither migrates it nor switches its journal', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-cli-'));
  const db = await oldStore(dir);
  const before = readFileSync(db);
  const list = await irnn(['runs', 'list', '--json', '--db', db]);
  t.is(list.code, 0, list.stderr);
  t.deepEqual((JSON.parse(list.stdout) as Array<{ id: number }>).map((r) => r.id), [1]);
  const sweeps = await irnn(['sweeps', 'list', '--db', db]);
  t.is(sweeps.code, 0, sweeps.stderr);
  t.regex(sweeps.stdout, /no sweeps/);
  const rep = await irnn(['report', '--db', db, '--out', join(dir, 'r.html')]);
  t.is(rep.code, 0, rep.stderr);
  t.deepEqual(readFileSync(db), before);
  t.deepEqual(readdirSync(dir).sort(), ['old.sqlite', 'r.html']);
});

test('irnn config prints the resolved config as YAML', async (t) => {
  const r = await irnn(['config', 'model=lstm', 'model.hidden=32']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /cell: lstm/);
  t.regex(r.stdout, /hidden: 32/);
  t.regex(r.stdout, /forget_bias: 1/);
});

test('Ctrl-C during irnn run marks the run interrupted and exits 130', async (t) => {
  const db = tmpDb();
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [BIN, 'run', 'task.seq_len=8', 'model.hidden=8', 'task.test_size=20', 'train.steps=1000000', 'train.log_every=5', '--db', db]);
  let err = '';
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/step \d+\/1000000/.test(err) && !child.killed) child.kill('SIGINT');
    });
    child.on('exit', (c) => resolve(c));
  });
  t.is(code, 130, err);
  const list = await irnn(['runs', 'list', '--json', '--db', db]);
  const runs = JSON.parse(list.stdout) as Array<{ status: string; step: number }>;
  t.is(runs.length, 1);
  t.is(runs[0]!.status, 'interrupted');
  t.true(runs[0]!.step > 0);
});
