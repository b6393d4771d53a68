// `irnn sweep [OVERRIDES...]`: expand sweep syntax (a,b  choice()  range()  glob()  logspace()  zip()) and
// an experiment preset's own sweep into jobs, and run them in worker processes into the store,
// skipping configs that already have a finished run. `--resume ID` finishes an interrupted sweep.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { runSweep, type SweepPlan } from '../launch/index.js';
import { varyingParts } from '../config/sweep.js';
import { currentCode, planNew, type PlannedJob } from '../launch/plan.js';
import type { SchedulerSettings } from '../launch/scheduler.js';
import { sweepProgress, type SweepProgress } from '../launch/progress.js';
import { planArrays } from '../launch/slurm.js';
import { getSweep } from '../store/sweeps.js';
import { UserError } from '../util/errors.js';
import { BaseCommand } from './base.js';
import { jobSummary } from './sweeps/show.js';

/** The sweep flags, shared with `irnn run --multirun`. */
export const SWEEP_FLAGS = {
  jobs: Flags.integer({ char: 'j', min: 1, helpGroup: 'SWEEP', description: 'worker processes running jobs side by side [default: CPU cores]' }),
  'dry-run': Flags.boolean({ helpGroup: 'SWEEP', description: 'print the expanded jobs and run nothing', default: false }),
  'fail-fast': Flags.boolean({ helpGroup: 'SWEEP', description: 'stop the sweep at the first failed job', default: false }),
  rerun: Flags.boolean({ helpGroup: 'SWEEP', description: 'run jobs again even when their config already has a finished run', default: false }),
  'rerun-other-commits': Flags.boolean({
    helpGroup: 'SWEEP',
    description: 'count a finished run as done only if it ran at the current commit from a clean checkout; run the others again',
    default: false,
  }),
  resume: Flags.integer({ min: 1, helpGroup: 'SWEEP', description: 'finish sweep ID: continue its interrupted jobs from their checkpoints, run its unfinished ones' }),
  force: Flags.boolean({ helpGroup: 'SWEEP', description: 'with --resume: continue jobs whose checkpoints another code version wrote', default: false }),
  detach: Flags.boolean({ helpGroup: 'SWEEP', description: 'launcher=slurm|redis: submit the jobs and return (irnn sweeps show ID, irnn sweep collect ID)', default: false }),
};

export default class Sweep extends BaseCommand {
  static override description = 'Run a sweep: every combination of the swept overrides, in worker processes';
  static override strict = false;
  static override args = {
    overrides: Args.string({ description: 'overrides with sweep syntax: k=a,b  k=choice(a,b)  k=range(0,5)  k=logspace(1e-4,1e-1,4)  group=glob(*,exclude=x)  k=sort(...)  zip(k1=[..],k2=[..])', required: false }),
  };
  static override flags = { ...SWEEP_FLAGS, quiet: Flags.boolean({ char: 'q', description: 'no progress output', default: false }) };
  static override examples = [
    '<%= config.bin %> sweep model=irnn,lstm seed=range(0,3) task.seq_len=150',
    '<%= config.bin %> sweep optimizer.lr=logspace(1e-9,1e-1,9) optimizer.clip=1,10,100,1000 --jobs 2',
    "<%= config.bin %> sweep 'zip(model=[irnn,lstm], optimizer.lr=[1e-3,1e-2])' --dry-run",
    '<%= config.bin %> sweep +experiment=paper/adding task.seq_len=150',
    '<%= config.bin %> sweep --resume 3',
    '<%= config.bin %> sweep launcher=slurm launcher.partition=cpu launcher.time=02:00:00 seed=range(0,10) --detach',
    '<%= config.bin %> sweep launcher=redis launcher.url=redis://queue-host:6379 model=irnn,lstm seed=range(0,5)',
  ];

  async run(): Promise<Record<string, unknown>> {
    const { argv, flags } = await this.parse(Sweep);
    const overrides = argv as string[];
    if (flags.resume !== undefined && overrides.length > 0) {
      throw new UserError(`--resume ${flags.resume} takes no overrides: a resumed sweep runs the jobs it was created with`);
    }
    if (flags.resume !== undefined && (flags.rerun || flags['dry-run'] || flags['rerun-other-commits'])) {
      throw new UserError('--resume cannot be combined with --rerun, --rerun-other-commits or --dry-run (a resumed sweep keeps the rules it was created with)');
    }
    if (flags.force && flags.resume === undefined) throw new UserError('--force goes with --resume');
    if (flags['dry-run']) return this.dryRun(overrides, flags.db, { rerun: flags.rerun, rerunOtherCommits: flags['rerun-other-commits'] });

    const db = await this.openDb(flags.db);
    const quiet = flags.quiet || this.jsonEnabled();
    const controller = new AbortController();
    let sigints = 0;
    let progress: SweepProgress | null = null;
    const onSigint = () => {
      if (++sigints > 1) {
        (progress as SweepProgress | null)?.stop();
        process.exit(130); // workers notice the launcher is gone and end their jobs as interrupted
      }
      process.stderr.write('\ninterrupting the sweep: running jobs end as interrupted (Ctrl-C again to quit at once)\n');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    try {
      const result = await runSweep({
        db,
        overrides,
        resume: flags.resume,
        workers: flags.jobs,
        failFast: flags['fail-fast'],
        rerun: flags.rerun,
        rerunOtherCommits: flags['rerun-other-commits'],
        force: flags.force,
        detach: flags.detach,
        command: ['irnn', 'sweep', ...this.argv].join(' '),
        signal: controller.signal,
        events: {
          onWait: (jobs) =>
            process.stderr.write(`waiting for ${jobs.map((j) => `job ${j.idx} (pid ${j.workerPid})`).join(', ')}: still running elsewhere\n`),
          onNotice: (line) => process.stderr.write(`${line}\n`),
          onPlan: (p) => {
            if (!this.jsonEnabled()) this.log(planLine(p));
            const all = [...p.toRun, ...p.done, ...p.paused].sort((a, b) => a.idx - b.idx);
            const labels = new Map(varyingParts(all.map((j) => j.overrides)).map((l, i) => [all[i]!.idx, l.join(' ')]));
            const total = p.toRun.length + p.paused.length;
            progress = sweepProgress({ total, label: (idx) => labels.get(idx) ?? '', quiet: quiet || total === 0 });
            for (const j of p.paused) progress.paused(j.idx);
          },
          onJobStart: (e) => progress?.started(e.idx, e.resumed),
          onJobDone: (o) => progress?.finished(o),
        },
      });
      (progress as SweepProgress | null)?.stop();
      const sweep = (await getSweep(db, result.sweepId))!;
      const { jobs, text } = await jobSummary(db, sweep);
      if (result.outcomes.length > 0) this.log(`\n${text}`);
      const c = sweep.counts;
      this.log(`sweep ${sweep.id} ${sweep.status}: ${c.finished} finished, ${c.diverged} diverged, ${c.failed} failed` +
        `${c.pruned ? `, ${c.pruned} pruned` : ''}` +
        `${c.queued + c.interrupted ? `, ${c.queued + c.interrupted} not finished (irnn sweep --resume ${sweep.id})` : ''}`);
      if (result.stopped === 'detached') {
        this.log(`sweep ${sweep.id} submitted (${sweep.spec['folder']}): irnn sweeps show ${sweep.id} follows it, irnn sweep collect ${sweep.id} merges what has finished`);
        return { sweepId: sweep.id, status: sweep.status, total: sweep.total, counts: sweep.counts, jobs, detached: true };
      }
      if (result.stopped === 'interrupted') process.exitCode = 130;
      else if (sweep.status !== 'finished') process.exitCode = 1;
      return { sweepId: sweep.id, status: sweep.status, total: sweep.total, counts: sweep.counts, jobs };
    } finally {
      (progress as SweepProgress | null)?.stop();
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
  }

  /** Prints the expanded jobs; with an existing store, also which are already done, and how
   *  many of those by other code (another commit, uncommitted changes); for SLURM, the batch
   *  scripts it would submit. */
  private async dryRun(overrides: string[], dbPath: string, o: { rerun: boolean; rerunOtherCommits: boolean }): Promise<Record<string, unknown>> {
    const db = existsSync(dbPath) ? await this.readDb(dbPath) : null;
    const code = currentCode();
    const { jobs, settings, launcher } = await planNew(db, { overrides, ...o, code: o.rerunOtherCommits ? code : undefined });
    if (settings.scheduler !== 'grid') this.log(schedulerLine(settings));
    if (launcher.name === 'slurm') {
      // the batch scripts it would submit, for a sweep folder named as the real one would be
      const sweep = { db: db!, sweepId: 0, token: 'NEWSWEEP', folder: join(String(launcher['dir'] ?? join(dirname(resolve(dbPath)), 'sweeps')), 'sweep-ID-TOKEN'), settings: launcher };
      const todo = jobs.filter((j) => j.doneRunId === null).map((j) => j.idx);
      for (const a of todo.length ? await planArrays(sweep, todo, 1) : []) this.log(`# ${a.path} (tasks: ${a.tasks.map((t) => t.join(' ')).join(' | ')})\n${a.script}`);
    }
    const done = jobs.filter((j) => j.doneRunId !== null);
    const counts = doneCounts(done, o.rerunOtherCommits && db !== null && code.commit === null);
    this.log(`${jobs.length} job${jobs.length === 1 ? '' : 's'}${counts}; dry run, nothing runs:`);
    for (const j of jobs) {
      const mark = j.doneRunId === null ? '' : `  [done: run ${j.doneRunId}${j.doneByOtherCode ? ', other code' : ''}]`;
      this.log(`job ${j.idx}: ${j.overrides.join(' ')}${mark}`);
    }
    const byOtherCode = done.filter((j) => j.doneByOtherCode).length;
    return { count: jobs.length, done: done.length, doneByOtherCode: byOtherCode, jobs };
  }
}

/** ' (3 already done, 1 of them by other code: ...)' for the dry run's first line. */
function doneCounts(done: PlannedJob[], codeUnknown: boolean): string {
  const other = done.filter((j) => j.doneByOtherCode).length;
  const note = codeUnknown ? '; the checkout has uncommitted changes, so no finished run counts as done' : '';
  if (done.length === 0) return note ? ` (${note.slice(2)})` : '';
  const by = other ? `, ${other} of them by other code (another commit or uncommitted changes; --rerun-other-commits runs those again)` : '';
  return ` (${done.length} already done${by}${note})`;
}

function schedulerLine(s: SchedulerSettings): string {
  return `scheduler ${s.scheduler}: rungs every x${s.reductionFactor} from step ${s.grace}; the best 1/${s.reductionFactor} at each rung go on, the rest are pruned`;
}

function planLine(p: SweepPlan): string {
  const head = p.resumed ? `resuming sweep ${p.sweepId}` : `sweep ${p.sweepId}`;
  const stale = p.stale.length ? `; stale (lost their worker, run again): job ${p.stale.join(', ')}` : '';
  const other = p.done.filter((j) => j.doneByOtherCode).length;
  const by = other ? `, ${other} of them by other code: another commit or uncommitted changes; --rerun-other-commits runs those again` : '';
  const cont = p.toRun.filter((j) => j.resume !== undefined).map((j) => j.idx);
  const resumed = cont.length ? `; continued from checkpoints: job ${cont.join(', ')}` : '';
  // --resume refuses --rerun, so the hint names what works: a new sweep with --rerun.
  const hint = p.resumed ? 'a new sweep with --rerun runs them again' : '--rerun runs them again';
  const done = p.done.length ? `, ${p.done.length} already done (a finished run has the same config${by}; ${hint})` : '';
  const paused = p.paused.length ? `, ${p.paused.length} pruned (may be promoted)` : '';
  const sched = p.settings.scheduler !== 'grid' && !p.resumed ? `\n${schedulerLine(p.settings)}` : '';
  if (p.toRun.length === 0 && p.paused.length === 0) {
    return p.resumed
      ? `${head}: nothing left to run${done}`
      : `${head}: all ${p.total} jobs are already done (finished runs with the same config${by}); nothing to run`;
  }
  return `${head}: ${p.toRun.length} of ${p.total} jobs to run${done}${paused}${stale}${resumed}${sched}`;
}
