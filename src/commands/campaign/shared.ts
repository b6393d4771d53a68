// What the campaign commands share: the --plan flag and reading the plan of this checkout.
import { Flags } from '@oclif/core';
import { readPlan, type CampaignPlan } from '../../launch/campaign.js';
import { HARNESS_ROOT } from '../../util/git.js';

export const PLAN_FLAG = {
  plan: Flags.string({ description: 'the campaign plan (YAML: ref, dir, lanes)', default: 'results/repro/campaign.yaml' }),
};

export const loadPlan = (path: string): CampaignPlan => readPlan(path, HARNESS_ROOT);
