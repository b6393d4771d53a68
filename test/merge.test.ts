// Merging job shards into the central store (store/merge.ts), the single writer of a distributed
// sweep: every per-run row of the shard arrives (metrics, gradient diagnostics, any table whose
// run_id references runs), a shard merged twice adds nothing, a second attempt's shard for a job
// already finished leaves the job's run alone, and a shard of another sweep or job is refused.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { mergeShard } from '../src/store/merge.js';
import { runJobToShard } from '../src/launch/shard.js';
import { harnessVersion } from '../src/launch/version.js';
import { Db } from '../src/store/db.js';
import { createSweep, getSweep } from '../src/store/sweeps.js';
import { isUserError } from '../src/util/errors.js';

const OVERRIDES = ['train.steps=6', 'train.eval_every=3', 'task.seq_len=10', 'model.hidden=4', 'task.test_size=20', 'task.valid_size=20'];

test('a shard merged twice adds nothing; another attempt of a finished job keeps its run; a shard of another sweep is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-merge-'));
  const db = await Db.open(join(dir, 'central.sqlite'));
  try {
    const sweepId = await createSweep(db, { spec: { token: 'tok' }, command: 'test', jobs: [{ idx: 1, overrides: OVERRIDES, configHash: 'h' }] });
    const job = { token: 'tok', sweepId, idx: 1, overrides: OVERRIDES, version: harnessVersion() };
    const a = await runJobToShard(job, { scratch: join(dir, 'a') });
    const b = await runJobToShard(job, { scratch: join(dir, 'b') });
    t.is(a.status, 'finished', a.error ?? '');
    // every table of per-run rows, from the schema: a table added later is counted too
    const tables = (await db.all<{ name: string }>(
      "SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND f.\"table\" = 'runs' AND m.name != 'sweep_jobs'",
    )).map((r) => r.name);
    t.true(tables.includes('metrics') && tables.includes('diagnostics'), tables.join(' '));
    const rows = async (store: Db) => Object.fromEntries(await Promise.all(tables.map(async (n) => [n, (await store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${n}`))!.n] as const)));
    const shardRows = async (path: string) => {
      const s = await Db.open(path);
      try {
        return await rows(s);
      } finally {
        await s.close();
      }
    };
    const count = async () => ({ runs: (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM runs'))!.n, ...(await rows(db)) });
    const inShard = await shardRows(a.path);
    t.true(Object.values(inShard).every((n) => n > 0), JSON.stringify(inShard));

    const first = await mergeShard(db, a.path, { sweepId, token: 'tok' });
    t.like(first, { idx: 1, status: 'finished', added: true });
    t.deepEqual(await count(), { runs: 1, ...inShard });
    const stored = (await getSweep(db, sweepId))!.jobs[0]!;
    t.like(stored, { status: 'finished', runId: first.runId });

    const again = await mergeShard(db, a.path, { sweepId, token: 'tok' });
    t.like(again, { added: false, runId: first.runId });
    t.deepEqual(await count(), { runs: 1, ...inShard });

    const other = await mergeShard(db, b.path, { sweepId, token: 'tok' });
    t.like(other, { added: false, runId: first.runId });
    t.deepEqual(await count(), { runs: 1, ...inShard });

    const e = await t.throwsAsync(mergeShard(db, a.path, { sweepId, token: 'another' }));
    t.true(isUserError(e));
    t.regex(e!.message, /belongs to another sweep/);
    const wrongJob = await t.throwsAsync(mergeShard(db, a.path, { sweepId, token: 'tok', idx: 2 }));
    t.true(isUserError(wrongJob));
    t.regex(wrongJob!.message, /holds job 1, not job 2/);
  } finally {
    await db.close();
  }
});
