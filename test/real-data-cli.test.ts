// The presets for data a user brings, through the `irnn` binary on a temporary store: TIMIT, One
// Billion Word and the Penn Treebank, as miniatures in their own formats. A run records its
// metrics as the stand-in tasks' runs do; a wrong path or a bad file is exit code 2 with one line
// on stderr naming it.
import test from 'ava';
import { execFile } from 'node:child_process';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, query, tmpDb } from './sweep-helpers.js';
import { tmp, writeBillion, writePtb, writeTimit } from './data-writers.js';

const root = tmp('real-data');
test.after.always(() => rmSync(root, { recursive: true, force: true }));

/** `irnn ARGS` run from the temporary folder, so that its data caches (results/cache) land there. */
function irnn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: root, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const ptbLines = Array.from({ length: 120 }, (_, i) => ['the', 'board', 'will', 'join', 'N', 'years', '<unk>', 'mr.'].slice(i % 4, 4 + (i % 5)).join(' '));
const DATA = {
  timit: writeTimit(join(root, 'timit')),
  billion: writeBillion(join(root, 'billion'), { lines: 150 }),
  ptb: writePtb(join(root, 'ptb'), { train: ptbLines }),
};
// Small and short: the presets' own sizes are trained for 2 steps in presets.test.ts.
const QUICK = ['train.steps=2', 'train.eval_every=2', 'train.batch_size=4'];

const cases = [
  { preset: 'paper/speech_timit', path: DATA.timit, extra: ['model.hidden=8', 'model.layers=1'], metrics: ['valid_fer', 'test_fer', 'valid_loss', 'test_loss'], info: { source: 'timit', speakers: '2/1/2', phones: 60 } },
  { preset: 'paper/lm_billion', path: DATA.billion, extra: ['model.hidden=8', 'task.embed_size=8'], metrics: ['valid_ppl', 'test_ppl'], info: { corpus: 'billion', vocab_cap: 'none' } },
  { preset: 'repro/lm_ptb', path: DATA.ptb, extra: ['model.hidden=8', 'task.embed_size=8'], metrics: ['valid_ppl', 'test_ppl'], info: { corpus: 'ptb', vocab_cap: 'none' } },
];

for (const c of cases) {
  test.serial(`irnn run +experiment=${c.preset} task.path=DIR records the run and its metrics`, async (t) => {
    const db = tmpDb();
    const r = await irnn(['run', `+experiment=${c.preset}`, `task.path=${c.path}`, ...c.extra, ...QUICK, '--db', db, '--json']);
    t.is(r.code, 0, r.stderr);
    const run = JSON.parse(r.stdout) as { status: string; metrics: Record<string, number>; taskInfo: Record<string, unknown> };
    t.is(run.status, 'finished');
    for (const m of c.metrics) t.true(Number.isFinite(run.metrics[m]), `${m}: ${JSON.stringify(run.metrics)}`);
    t.like(run.taskInfo, c.info);
    const stored = await query<{ name: string }>(db, 'SELECT DISTINCT name FROM metrics');
    for (const m of c.metrics) t.true(stored.some((s) => s.name === m), m);
  });
}

test.serial('irnn data prepare speech task.source=timit reads and caches TIMIT ahead of a sweep', async (t) => {
  const args = ['data', 'prepare', 'speech', 'task.source=timit', `task.path=${DATA.timit}`, 'task.timit_labels=48', '--cache', join(root, 'prepared')];
  const first = await irnn(args);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /read and cached in .*timit-[0-9a-f]{16}\.bin/);
  t.regex(first.stdout, /train: 5 utterances/);
  const again = await irnn(args);
  t.regex(again.stdout, /^found /);
  const examples = await irnn([...args, '--examples', '2']);
  t.is(examples.code, 2);
  t.regex(examples.stderr, /--examples writes synthesized utterances/);
});

/** Miniatures with one thing wrong, and what the one line must name. */
function broken(): Array<{ what: string; args: string[]; names: RegExp }> {
  const badWav = writeTimit(join(root, 'timit-bad-wav'));
  writeFileSync(join(badWav, 'TEST', 'DR1', 'MDAB0', 'SX139.WAV'), 'not audio');
  const badPhn = writeTimit(join(root, 'timit-bad-phn'));
  writeFileSync(join(badPhn, 'TRAIN', 'DR2', 'MKLS0', 'SI1437.PHN'), '0 100 h#\n100 abc aa\n');
  const noHeldout = writeBillion(join(root, 'billion-no-test'));
  unlinkSync(join(noHeldout, 'heldout-monolingual.tokenized.shuffled', 'news.en.heldout-00000-of-00050'));
  const noPtbTest = writePtb(join(root, 'ptb-no-test'));
  unlinkSync(join(noPtbTest, 'ptb.test.txt'));
  return [
    { what: 'a wrong TIMIT path', args: ['+experiment=paper/speech_timit', `task.path=${join(root, 'nowhere')}`], names: /nowhere is not a folder/ },
    { what: 'a malformed SPHERE header', args: ['+experiment=paper/speech_timit', `task.path=${badWav}`], names: /MDAB0\/SX139\.WAV: not a valid NIST SPHERE file/ },
    { what: 'a malformed .PHN file', args: ['+experiment=paper/speech_timit', `task.path=${badPhn}`], names: /MKLS0\/SI1437\.PHN: line 2/ },
    { what: 'a missing One Billion Word test shard', args: ['+experiment=paper/lm_billion', `task.path=${noHeldout}`], names: /news\.en\.heldout-00000-of-00050/ },
    { what: 'a missing ptb.test.txt', args: ['+experiment=repro/lm_ptb', `task.path=${noPtbTest}`], names: /ptb\.test\.txt/ },
  ];
}
const BROKEN = broken();

for (const b of BROKEN) {
  test(`${b.what}: exit 2, one line naming it`, async (t) => {
    const r = await irnn(['run', ...b.args, ...QUICK, '--db', tmpDb()]);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, b.names);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
}

// The task is built (its data read and checked) before the run is created (src/train/run.ts).
test('bad data leaves nothing in the store', async (t) => {
  const db = tmpDb();
  for (const b of BROKEN) {
    const r = await irnn(['run', ...b.args, ...QUICK, '--db', db]);
    t.is(r.code, 2, r.stderr);
  }
  const rows = await query<{ n: number }>(db, 'SELECT count(*) AS n FROM runs');
  t.is(rows[0]!.n, 0);
});
