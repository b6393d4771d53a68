// The dashboard's run page states only what the store holds: a run without a checkpoint or a
// prune (here one of an older store, read as it is, whose rows lack those columns) has no such
// rows, and no "undefined" anywhere; a run that has them shows them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Db } from '../src/store/db.js';
import { createRun, finishRun, recordCheckpoint } from '../src/store/runs.js';
import { runPage } from '../src/ui/run-page.js';
import { oldStore } from './old-store.js';

const facts = (html: string) => [...html.matchAll(/<tr><td>([^<]*)<\/td><td[^>]*>([^<]*)</g)].map((m): [string, string] => [m[1]!, m[2]!]);

test('a run of an older store: no checkpoint or pruned row, and nothing reads "undefined"', async (t) => {
  const db = await Db.openReadOnly(await oldStore(mkdtempSync(join(tmpdir(), 'irnn-ui-run-'))));
  try {
    const page = await runPage(db, new URLSearchParams('id=1'));
    t.notRegex(page.live, /undefined/);
    const keys = facts(page.live).map(([k]) => k);
    t.true(keys.includes('status'), keys.join(', '));
    t.false(keys.includes('checkpoint'));
    t.false(keys.includes('pruned'));
  } finally {
    await db.close();
  }
});

test('a run with a checkpoint and a prune shows both', async (t) => {
  const db = await Db.open(join(mkdtempSync(join(tmpdir(), 'irnn-ui-run-')), 'results.sqlite'));
  try {
    const id = await createRun(db, {
      task: 'adding', model: 'irnn', seed: 0, config: { seed: 0 }, configHash: 'h', overrides: [], steps: 10,
      git: { commit: null, dirty: null }, versions: {}, host: 'h', pid: 1,
    });
    await recordCheckpoint(db, id, { path: '/x/step-000000000004.ckpt', step: 4 });
    await finishRun(db, id, { status: 'pruned', step: 4, prune: { rung: 4, reason: 'ranks 3 of 3' } });
    const rows = new Map(facts((await runPage(db, new URLSearchParams(`id=${id}`))).live));
    t.is(rows.get('checkpoint'), 'step 4: /x/step-000000000004.ckpt');
    t.is(rows.get('pruned'), 'at step 4: ranks 3 of 3');
  } finally {
    await db.close();
  }
});
