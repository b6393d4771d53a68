// `irnn sweeps show ID`: one sweep and its jobs (status, run, main metric, time, what sets each job
// apart, and why a job failed, diverged or was pruned), or --json. For a slurm or redis sweep still
// running, the jobs not yet merged show what the queue or squeue says of them now. `jobSummary`
// builds the same table for `irnn sweep`'s closing summary.
import { Args } from '@oclif/core';
import { LAUNCHERS } from '../../launch/launchers.js';
import { varyingParts } from '../../config/sweep.js';
import { remoteSweep } from '../../launch/remote.js';
import type { Db } from '../../store/db.js';
import { listRuns, type RunResult } from '../../store/runs.js';
import { getSweep, type JobRecord, type SweepRecord } from '../../store/sweeps.js';
import { fmtResult, table } from '../../cli/format.js';
import { UserError } from '../../util/errors.js';
import { BaseCommand } from '../base.js';

export interface JobSummary extends JobRecord {
  /** The job's run's result: its best validation evaluation and the test metric there. */
  result: RunResult | null;
  seconds: number | null;
  /** A pruned job: the rung (step) where the scheduler stopped it, and why. */
  prune: { rung: number; reason: string } | null;
  /** A remote sweep's job not merged yet: its state in the queue or in squeue. */
  live?: string;
}

/** The last column: what went wrong, or why the scheduler stopped the job. */
function note(j: JobSummary): string {
  if (j.status === 'pruned') return j.prune ? `pruned at step ${j.prune.rung}: ${j.prune.reason}` : 'pruned';
  return j.status === 'failed' || j.status === 'diverged' ? (j.error ?? '') : '';
}

const seconds = (a: string | null, b: string | null) => (a && b ? (Date.parse(b) - Date.parse(a)) / 1000 : null);

export async function jobSummary(db: Db, sweep: SweepRecord, live?: Map<number, string>): Promise<{ jobs: JobSummary[]; text: string }> {
  const ids = sweep.jobs.flatMap((j) => (j.runId === null ? [] : [j.runId]));
  const runs = new Map((await listRuns(db, { ids })).map((r) => [r.id, r]));
  const jobs = sweep.jobs.map((j) => {
    const run = j.runId === null ? undefined : runs.get(j.runId);
    return {
      ...j,
      result: run?.result ?? null,
      seconds: j.skipped ? null : seconds(j.startedAt, j.endedAt),
      prune: j.status === 'pruned' ? (run?.prune ?? null) : null,
      ...(live?.has(j.idx) ? { live: live.get(j.idx)! } : {}),
    };
  });
  const labels = varyingParts(jobs.map((j) => j.overrides));
  const rows = jobs.map((j, i) => [
    String(j.idx),
    j.skipped ? 'skipped' : j.live ? `${j.status}: ${j.live}` : j.status,
    j.runId === null ? '-' : String(j.runId),
    fmtResult(j),
    j.seconds === null ? '-' : `${j.seconds.toFixed(1)}s`,
    labels[i]!.join(' ') || '-',
    note(j),
  ]);
  return { jobs, text: table(['job', 'status', 'run', 'result', 'time', 'overrides', 'note'], rows) };
}

/** What the engine of a running remote sweep says of its jobs not merged yet (queue states,
 *  squeue states), with a one-line tally; nothing for a local or ended sweep. */
async function liveStates(db: Db, sweep: SweepRecord): Promise<{ states?: Map<number, string>; line?: string }> {
  const remote = remoteSweep(db, sweep);
  if (!remote || sweep.status !== 'running') return {};
  const engine = LAUNCHERS[remote.settings.name].engine!;
  try {
    const states = await engine.live(remote);
    const tally = new Map<string, number>();
    for (const s of states.values()) {
      const state = s.replace(/ \(.*\)$/, ''); // without the SLURM task
      tally.set(state, (tally.get(state) ?? 0) + 1);
    }
    const parts = [...tally].map(([s, n]) => `${n} ${s}`).join(', ');
    return { states, line: `${remote.settings.name}: ${parts || 'no job left'} (not merged yet: irnn sweep collect ${sweep.id}); folder ${remote.folder}` };
  } catch (e) {
    return { line: `${remote.settings.name}: no live view (${(e as Error).message})` };
  } finally {
    await engine.close?.(remote);
  }
}

export default class SweepsShow extends BaseCommand {
  static override description = 'Show one sweep: its command, status and jobs';
  static override args = { id: Args.integer({ description: 'sweep id', required: true }) };

  async run(): Promise<Omit<SweepRecord, 'jobs'> & { jobs: JobSummary[] }> {
    const { args, flags } = await this.parse(SweepsShow);
    const db = await this.readDb(flags.db);
    const sweep = await getSweep(db, args.id);
    if (!sweep) throw new UserError(`sweep ${args.id}: no such sweep in ${flags.db}`);
    const live = await liveStates(db, sweep);
    const { jobs, text } = await jobSummary(db, sweep, live.states);
    const counts = Object.entries(sweep.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ');
    const sched = sweep.spec['scheduler'] as { scheduler: string; grace: number; reductionFactor: number } | undefined;
    this.log(`sweep ${sweep.id}: ${sweep.status}, ${sweep.total} jobs (${counts || 'none'})`);
    this.log(`command: ${sweep.command}`);
    if (live.line) this.log(live.line);
    if (sched && sched.scheduler !== 'grid') {
      const steps = await db.get<{ n: number | null }>(
        'SELECT SUM(r.step) AS n FROM runs r WHERE r.id IN (SELECT run_id FROM sweep_jobs WHERE sweep_id = ? AND started_at IS NOT NULL)', [sweep.id],
      );
      this.log(`scheduler: ${sched.scheduler}, grace ${sched.grace} steps, reduction factor ${sched.reductionFactor}; ${steps?.n ?? 0} training steps spent`);
    }
    this.log(`created ${sweep.createdAt}${sweep.endedAt ? `, ended ${sweep.endedAt}` : ''}`);
    this.log(`\n${text}`);
    return { ...sweep, jobs };
  }
}
