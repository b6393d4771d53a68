// `irnn runs list`: the runs in the store, one line each (or --json: full records).
import { Flags } from '@oclif/core';
import { listRuns, RUN_STATUSES, type RunRecord, type RunStatus } from '../../store/runs.js';
import { fmtNum, fmtResult, table } from '../../cli/format.js';
import { BaseCommand } from '../base.js';

export default class RunsList extends BaseCommand {
  static override description = 'List the runs in the store';
  static override flags = {
    task: Flags.string({ description: 'only runs of this task (config group option, e.g. adding)' }),
    model: Flags.string({ description: 'only runs of this model (e.g. irnn)' }),
    status: Flags.string({ description: 'only runs with this status', options: [...RUN_STATUSES] }),
    sort: Flags.string({
      description: 'order: id, or valid (by task, best validation metric first; runs without one last)',
      options: ['id', 'valid'],
      default: 'id',
    }),
  };

  async run(): Promise<RunRecord[]> {
    const { flags } = await this.parse(RunsList);
    const db = await this.readDb(flags.db);
    const runs = await listRuns(db, { task: flags.task, model: flags.model, status: flags.status as RunStatus | undefined });
    if (runs.length === 0) {
      this.log(`no runs in ${flags.db}`);
      return runs;
    }
    if (flags.sort === 'valid') runs.sort(byValidation);
    const rows = runs.map((r) => [
      String(r.id), r.status, r.task, r.model, fmtNum(r.taskInfo?.['seq_len'] as number | undefined), String(r.seed),
      `${r.step}/${r.steps}`, fmtNum(r.params), fmtResult(r), r.backend ?? '-', r.startedAt.slice(0, 19).replace('T', ' '),
    ]);
    this.log(table(['id', 'status', 'task', 'model', 'T', 'seed', 'step', 'params', 'result (best validation evaluation)', 'backend', 'started'], rows));
    return runs;
  }
}

/** Task by task, the best validation value first (lower or higher by the task's goal). */
function byValidation(a: RunRecord, b: RunRecord): number {
  if (a.task !== b.task) return a.task < b.task ? -1 : 1;
  if (!a.result || !b.result) return (a.result ? 0 : 1) - (b.result ? 0 : 1) || a.id - b.id;
  const d = a.result.select.value - b.result.select.value;
  return (a.result.goal === 'min' ? d : -d) || a.id - b.id;
}
