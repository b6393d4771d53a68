// `irnn sweeps list`: the sweeps in the store, one line each (or --json).
import { listSweeps, type SweepInfo } from '../../store/sweeps.js';
import { table } from '../../cli/format.js';
import { BaseCommand } from '../base.js';

export default class SweepsList extends BaseCommand {
  static override description = 'List the sweeps in the store';

  async run(): Promise<SweepInfo[]> {
    const { flags } = await this.parse(SweepsList);
    const db = await this.readDb(flags.db);
    const sweeps = await listSweeps(db);
    if (sweeps.length === 0) {
      this.log(`no sweeps in ${flags.db}`);
      return sweeps;
    }
    const rows = sweeps.map((s) => [
      String(s.id), s.status, String(s.total), String(s.counts.finished), String(s.counts.diverged), String(s.counts.failed),
      String(s.counts.queued + s.counts.running + s.counts.interrupted), s.createdAt.slice(0, 19).replace('T', ' '), s.command,
    ]);
    this.log(table(['id', 'status', 'jobs', 'finished', 'diverged', 'failed', 'open', 'created', 'command'], rows));
    return sweeps;
  }
}
