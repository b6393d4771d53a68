// `irnn campaign lane NAME`: one lane's lines in order (started by `irnn campaign start`; not
// for direct use). SIGINT or SIGTERM stops it after its running sweep has checkpointed.
import { Args } from '@oclif/core';
import { runLane } from '../../launch/campaign.js';
import { HARNESS_ROOT } from '../../util/git.js';
import { BaseCommand } from '../base.js';
import { PLAN_FLAG } from './shared.js';

export default class CampaignLane extends BaseCommand {
  static override description = 'Run one lane of a campaign (started by irnn campaign start)';
  static override hidden = true;
  static override args = { name: Args.string({ required: true }) };
  static override flags = { ...PLAN_FLAG };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CampaignLane);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    await runLane(flags.plan, HARNESS_ROOT, args.name, controller.signal, (l) => this.log(l));
    this.log(`lane ${args.name}: ${controller.signal.aborted ? 'stopped' : 'every line done'} ${new Date().toISOString()}`);
  }
}
