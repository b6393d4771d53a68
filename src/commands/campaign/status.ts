// `irnn campaign status`: the lanes (alive or not, the line each is on) and, for each store of the
// plan, every run that is not finished yet: its step, best validation metric and CPU hours.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { liveLanes, storesOf } from '../../launch/campaign.js';
import { listRuns } from '../../store/runs.js';
import { BaseCommand } from '../base.js';
import { loadPlan, PLAN_FLAG } from './shared.js';

export default class CampaignStatus extends BaseCommand {
  static override description = "Show a campaign's lanes and where its unfinished runs stand";
  static override flags = { ...PLAN_FLAG };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CampaignStatus);
    const plan = loadPlan(flags.plan);
    const live = liveLanes(plan);
    this.log(`campaign ${plan.ref} in ${plan.dir}${existsSync(plan.dir) ? '' : ' (no worktree yet)'}`);
    for (const name of Object.keys(plan.lanes)) this.log(`lane ${name}: ${live[name] ? `running (pid ${live[name]!.pid})` : 'not running'}, ${plan.lanes[name]!.length} line(s)`);
    const stores: Record<string, unknown[]> = {};
    for (const db of storesOf(plan)) {
      const path = existsSync(join(plan.dir, db)) ? join(plan.dir, db) : join(plan.root, db);
      if (!existsSync(path)) continue;
      const store = await this.readDb(path);
      const runs = (await listRuns(store)).filter((r) => r.status === 'running' || r.status === 'interrupted');
      stores[db] = runs;
      this.log(`${path}:`);
      for (const r of runs) {
        const best = r.result ? `${r.result.select.name} ${r.result.select.value.toPrecision(4)} at step ${r.result.step}` : 'no evaluation';
        const cpu = typeof r.metrics['cpu_seconds'] === 'number' ? `${(r.metrics['cpu_seconds'] / 3600).toFixed(2)} CPU-h` : '';
        this.log(`  run ${r.id} ${r.task}/${r.model} ${r.status} at step ${r.step} of ${r.steps}: best ${best} ${cpu}`);
      }
    }
    return { lanes: live, stores };
  }
}
