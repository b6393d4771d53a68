// `irnn runs list`: the runs in the store, one line each (or --json: full records).
import { Flags } from '@oclif/core';
import { listRuns, mainMetric, type RunRecord, type RunStatus } from '../../store/runs.js';
import { fmtNum, table } from '../../cli/format.js';
import { BaseCommand } from '../base.js';

export default class RunsList extends BaseCommand {
  static override description = 'List the runs in the store';
  static override flags = {
    task: Flags.string({ description: 'only runs of this task (config group option, e.g. adding)' }),
    model: Flags.string({ description: 'only runs of this model (e.g. irnn)' }),
    status: Flags.string({ description: 'only runs with this status', options: ['running', 'finished', 'failed', 'diverged', 'interrupted'] }),
  };

  async run(): Promise<RunRecord[]> {
    const { flags } = await this.parse(RunsList);
    const db = await this.readDb(flags.db);
    const runs = await listRuns(db, { task: flags.task, model: flags.model, status: flags.status as RunStatus | undefined });
    if (runs.length === 0) {
      this.log(`no runs in ${flags.db}`);
      return runs;
    }
    const rows = runs.map((r) => {
      const m = mainMetric(r);
      return [
        String(r.id), r.status, r.task, r.model, fmtNum(r.taskInfo?.['seq_len'] as number | undefined), String(r.seed),
        `${r.step}/${r.steps}`, fmtNum(r.params), m ? `${m[0]}=${fmtNum(m[1])}` : '-', r.backend ?? '-', r.startedAt.slice(0, 19).replace('T', ' '),
      ];
    });
    this.log(table(['id', 'status', 'task', 'model', 'T', 'seed', 'step', 'params', 'result', 'backend', 'started'], rows));
    return runs;
  }
}
