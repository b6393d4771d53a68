// `irnn campaign snapshot`: copy the campaign's stores from its worktree into this checkout, with
// the newest checkpoint of each unfinished run beside them, ready to commit.
import { Flags } from '@oclif/core';
import { relative } from 'node:path';
import { snapshotCampaign } from '../../launch/campaign.js';
import { BaseCommand } from '../base.js';
import { loadPlan, PLAN_FLAG } from './shared.js';

export default class CampaignSnapshot extends BaseCommand {
  static override description = "Copy a campaign's stores and its unfinished runs' newest checkpoints into this checkout";
  static override flags = { ...PLAN_FLAG, 'max-mb': Flags.integer({ description: 'leave out checkpoints larger than this (MiB)', default: 4, min: 1 }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CampaignSnapshot);
    const plan = loadPlan(flags.plan);
    const reports = await snapshotCampaign(plan, flags['max-mb'] * 2 ** 20);
    for (const r of reports) {
      this.log(`${r.store}: ${r.runs.length} unfinished run(s)`);
      for (const u of r.runs) this.log(`  run ${u.id} ${u.status} at step ${u.step}: ${u.checkpoint ? relative(plan.root, u.checkpoint) : (u.note ?? 'no checkpoint')}`);
    }
    return reports;
  }
}
