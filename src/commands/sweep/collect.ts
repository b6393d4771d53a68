// `irnn sweep collect ID`: merges into the store what a remote sweep's jobs have finished (their
// shards in the sweep's folder, and results waiting in the queue), records jobs the engine lost,
// and settles the sweep once no job is left. Merging is idempotent: a shard merged before adds
// nothing. A detached sweep (`irnn sweep ... --detach`) is finished this way.
import { Args } from '@oclif/core';
import { settleSweep } from '../../launch/index.js';
import { LAUNCHERS } from '../../launch/launchers.js';
import { mergeFiles, remoteSweep, settle } from '../../launch/remote.js';
import { getSweep } from '../../store/sweeps.js';
import { UserError } from '../../util/errors.js';
import { BaseCommand } from '../base.js';

export default class SweepCollect extends BaseCommand {
  static override description = 'Merge what the jobs of a slurm or redis sweep have finished into the store';
  static override args = { id: Args.integer({ description: 'sweep id', required: true }) };
  static override examples = ['<%= config.bin %> sweep collect 3'];

  async run(): Promise<Record<string, unknown>> {
    const { args, flags } = await this.parse(SweepCollect);
    const db = await this.openDb(flags.db);
    const sweep = await getSweep(db, args.id);
    if (!sweep) throw new UserError(`sweep ${args.id}: no such sweep in ${flags.db}`);
    const remote = remoteSweep(db, sweep);
    if (!remote) throw new UserError(`sweep ${args.id} ran on the local launcher: its runs are in the store already`);
    const engine = LAUNCHERS[remote.settings.name].engine!;
    try {
      // shards already in the folder first (merged before: nothing added), then the engine's news
      const onDisk = await mergeFiles(remote, engine.shards?.(remote) ?? []);
      const news = await engine.poll(remote);
      const merged = [...onDisk, ...news.merged];
      const outcomes = await settle(remote, { merged, lost: news.lost });
      const added = outcomes.length - news.lost.length;
      const after = (await getSweep(db, args.id))!;
      const open = after.counts.queued + after.counts.running;
      const status = open === 0 ? await settleSweep(db, args.id, 'done') : after.status;
      this.log(`sweep ${args.id}: merged ${added} new shard${added === 1 ? '' : 's'} (${merged.length} read), ${news.lost.length} lost; ` +
        `${open} job${open === 1 ? '' : 's'} still queued or running; sweep ${status}`);
      return { sweepId: args.id, added, read: merged.length, lost: news.lost.length, open, status };
    } finally {
      await engine.close?.(remote);
    }
  }
}
