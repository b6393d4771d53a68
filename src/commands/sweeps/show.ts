// `irnn sweeps show ID`: one sweep and its jobs (status, run, main metric, time, what sets each job
// apart), or --json. `jobSummary` builds the same table for `irnn sweep`'s closing summary.
import { Args } from '@oclif/core';
import { varyingParts } from '../../launch/plan.js';
import type { Db } from '../../store/db.js';
import { listRuns, mainMetric } from '../../store/runs.js';
import { getSweep, type JobRecord, type SweepRecord } from '../../store/sweeps.js';
import { fmtNum, table } from '../../cli/format.js';
import { UserError } from '../../util/errors.js';
import { BaseCommand } from '../base.js';

export interface JobSummary extends JobRecord {
  /** The main metric of the job's run, e.g. ['test_mse', 0.01]. */
  metric: [string, number | null] | null;
  seconds: number | null;
}

const seconds = (a: string | null, b: string | null) => (a && b ? (Date.parse(b) - Date.parse(a)) / 1000 : null);

export async function jobSummary(db: Db, sweep: SweepRecord): Promise<{ jobs: JobSummary[]; text: string }> {
  const ids = sweep.jobs.flatMap((j) => (j.runId === null ? [] : [j.runId]));
  const runs = new Map((await listRuns(db, { ids })).map((r) => [r.id, r]));
  const jobs = sweep.jobs.map((j) => {
    const run = j.runId === null ? undefined : runs.get(j.runId);
    return { ...j, metric: run ? mainMetric(run) : null, seconds: j.skipped ? null : seconds(j.startedAt, j.endedAt) };
  });
  const labels = varyingParts(jobs.map((j) => j.overrides));
  const rows = jobs.map((j, i) => [
    String(j.idx),
    j.skipped ? 'skipped' : j.status,
    j.runId === null ? '-' : String(j.runId),
    j.metric ? `${j.metric[0]}=${fmtNum(j.metric[1])}` : '-',
    j.seconds === null ? '-' : `${j.seconds.toFixed(1)}s`,
    labels[i]!.join(' ') || '-',
    j.status === 'failed' || j.status === 'diverged' ? (j.error ?? '') : '',
  ]);
  return { jobs, text: table(['job', 'status', 'run', 'result', 'time', 'overrides', 'error'], rows) };
}

export default class SweepsShow extends BaseCommand {
  static override description = 'Show one sweep: its command, status and jobs';
  static override args = { id: Args.integer({ description: 'sweep id', required: true }) };

  async run(): Promise<Omit<SweepRecord, 'jobs'> & { jobs: JobSummary[] }> {
    const { args, flags } = await this.parse(SweepsShow);
    const db = await this.readDb(flags.db);
    const sweep = await getSweep(db, args.id);
    if (!sweep) throw new UserError(`sweep ${args.id}: no such sweep in ${flags.db}`);
    const { jobs, text } = await jobSummary(db, sweep);
    const counts = Object.entries(sweep.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ');
    this.log(`sweep ${sweep.id}: ${sweep.status}, ${sweep.total} jobs (${counts || 'none'})`);
    this.log(`command: ${sweep.command}`);
    this.log(`created ${sweep.createdAt}${sweep.endedAt ? `, ended ${sweep.endedAt}` : ''}`);
    this.log(`\n${text}`);
    return { ...sweep, jobs };
  }
}
