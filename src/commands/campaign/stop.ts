// `irnn campaign stop`: ask every lane to stop; each running job writes a checkpoint and ends
// interrupted, and `irnn campaign start` continues it later.
import { Flags } from '@oclif/core';
import { stopLanes } from '../../launch/campaign.js';
import { UserError } from '../../util/errors.js';
import { BaseCommand } from '../base.js';
import { loadPlan, PLAN_FLAG } from './shared.js';

export default class CampaignStop extends BaseCommand {
  static override description = "Stop a campaign's lanes: running jobs checkpoint and end interrupted";
  static override flags = { ...PLAN_FLAG, wait: Flags.integer({ description: 'seconds to wait for the lanes to exit', default: 300, min: 0 }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CampaignStop);
    const left = await stopLanes(loadPlan(flags.plan), flags.wait * 1000);
    if (left.length) throw new UserError(`lanes still running after ${flags.wait} s: ${left.join(', ')}`);
    this.log('every lane has stopped');
    return { stopped: true };
  }
}
