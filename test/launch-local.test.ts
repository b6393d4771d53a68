// The local launcher's hand-out of jobs (launchLocal, with real worker processes and tiny runs):
// a worker never holds two jobs at once, even when another worker finishes while the launcher is
// still skipping a done job for it; and a job told to pause whose worker dies before it reports
// ends interrupted without the launcher trying to promote it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { composeConfig, configHash } from '../src/config/index.js';
import { launchLocal, type LaunchJob } from '../src/launch/local.js';
import { makeScheduler, type Scheduler } from '../src/launch/scheduler.js';
import { Db } from '../src/store/db.js';
import { createRun, finishRun } from '../src/store/runs.js';
import { createSweep } from '../src/store/sweeps.js';

const TINY = ['task.seq_len=10', 'model.hidden=4', 'task.test_size=20', 'task.valid_size=20'];

async function store(jobs: Array<{ idx: number; overrides: string[] }>): Promise<{ db: Db; sweepId: number; jobs: LaunchJob[] }> {
  const db = await Db.open(join(mkdtempSync(join(tmpdir(), 'irnn-local-')), 'results.sqlite'));
  const planned = jobs.map((j) => ({ ...j, configHash: configHash(composeConfig({ overrides: j.overrides }).config) }));
  const sweepId = await createSweep(db, { spec: {}, command: 'test', jobs: planned });
  return { db, sweepId, jobs: planned };
}

test('a worker is never handed a second job while the launcher skips a done job for it', async (t) => {
  const seeds = [0, 1, 2, 3, 4];
  const { db, sweepId, jobs } = await store(seeds.map((seed, i) => ({ idx: i + 1, overrides: [...TINY, 'train.steps=5', `seed=${seed}`] })));
  try {
    // job 2 is done already: a finished run has its config
    const done = await createRun(db, { task: 'adding', model: 'irnn', seed: 1, config: {}, configHash: jobs[1]!.configHash, overrides: [], steps: 5, git: { commit: null, dirty: null }, versions: {}, host: 'h', pid: 1 });
    await finishRun(db, done, { status: 'finished', step: 5 });
    const busy = new Map<number, number>(); // worker pid -> the job it holds
    const twice: string[] = [];
    let firstDone!: () => void;
    const oneFinished = new Promise<void>((r) => (firstDone = r));
    const r = await launchLocal({
      db, sweepId, jobs, workers: 2, scheduler: makeScheduler({ scheduler: 'grid', grace: 1, reductionFactor: 2 }),
      // the skip waits on the store until another worker has finished its job
      scoresOf: async () => (await oneFinished, []),
      events: {
        onJobStart: (e) => {
          if (busy.has(e.pid)) twice.push(`worker ${e.pid} got job ${e.idx} while holding job ${busy.get(e.pid)}`);
          busy.set(e.pid, e.idx);
        },
        onJobDone: (o) => {
          for (const [pid, idx] of busy) if (idx === o.idx) busy.delete(pid);
          if (o.status !== 'skipped') firstDone();
        },
      },
    });
    t.deepEqual(twice, []);
    t.is(r.stopped, 'done');
    t.deepEqual(r.outcomes.map((o) => `${o.idx} ${o.status}`).sort(), ['1 finished', '2 skipped', '3 finished', '4 finished', '5 finished']);
  } finally {
    await db.close();
  }
});

test('a job told to pause whose worker dies before it reports ends interrupted; it is never promoted', async (t) => {
  // the workers ask at the rungs of their own config's scheduler
  const asha = ['sweep.scheduler=asha', 'sweep.grace=10', 'sweep.reduction_factor=2'];
  const { db, sweepId, jobs } = await store([1, 2].map((seed) => ({ idx: seed, overrides: [...TINY, 'train.steps=40', 'train.eval_every=10', ...asha, `seed=${seed}`] })));
  try {
    const inner = makeScheduler({ scheduler: 'asha', grace: 10, reductionFactor: 2 });
    const pids = new Map<number, number>();
    let told: number | null = null;
    // the first job at a rung is told to pause (with the best score, so it would be promoted first)
    // and killed before it can report; the other goes on and finishes
    const scheduler: Scheduler = {
      rungs: (steps) => inner.rungs(steps),
      record: (s, p) => inner.record(s, p),
      promote: () => inner.promote(),
      drop: (idx) => inner.drop(idx),
      promotes: inner.promotes,
      atRung: (s) => {
        if (told !== null && told !== s.idx) return (inner.record({ ...s, value: 1e9 }, false), null);
        told = s.idx;
        inner.record({ ...s, value: -1 }, true);
        process.kill(pids.get(s.idx)!, 'SIGKILL');
        return 'told to pause';
      },
    };
    const r = await launchLocal({ db, sweepId, jobs, workers: 2, scheduler, events: { onJobStart: (e) => pids.set(e.idx, e.pid) } });
    t.deepEqual(r.outcomes.map((o) => `${o.idx} ${o.status}`).sort(), [`${told} interrupted`, `${3 - told!} finished`].sort());
    t.is(r.stopped, 'done');
  } finally {
    await db.close();
  }
});
