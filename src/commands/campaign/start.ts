// `irnn campaign start`: make (or check) the worktree at the plan's ref and start its lanes in the
// background, one process each at nice 19; lanes already running are left alone.
import { Args } from '@oclif/core';
import { fileURLToPath } from 'node:url';
import { ensureWorktree, startLanes } from '../../launch/campaign.js';
import { BaseCommand } from '../base.js';
import { loadPlan, PLAN_FLAG } from './shared.js';

export default class CampaignStart extends BaseCommand {
  static override description = "Start a campaign's lanes in the background, in a worktree pinned to the plan's ref";
  static override strict = false;
  static override args = { lanes: Args.string({ description: 'only these lanes (default: all)', required: false }) };
  static override flags = { ...PLAN_FLAG };
  static override examples = ['<%= config.bin %> campaign start', '<%= config.bin %> campaign start mnist --plan results/repro/campaign.yaml'];

  async run(): Promise<unknown> {
    const { argv, flags } = await this.parse(CampaignStart);
    const plan = loadPlan(flags.plan);
    const { created, commit } = await ensureWorktree(plan, (l) => this.log(l));
    this.log(`${created ? 'made' : 'using'} the worktree ${plan.dir} at ${plan.ref} (${commit.slice(0, 12)})`);
    const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
    const lanes = startLanes(plan, bin, argv.length ? (argv as string[]) : undefined);
    for (const [name, l] of Object.entries(lanes)) this.log(`lane ${name}: pid ${l.pid}, log ${l.log}`);
    return { worktree: plan.dir, commit, lanes };
  }
}
