// `irnn runs show ID`: one run in full: config, provenance, and its metric history.
import { Args } from '@oclif/core';
import { stringify } from 'yaml';
import { lastProfile, type ProfileSummary } from '../../store/diagnostics.js';
import { getRun, metricHistory, type RunRecord } from '../../store/runs.js';
import { fmtNum, table } from '../../cli/format.js';
import { UserError } from '../../util/errors.js';
import { BaseCommand } from '../base.js';

export default class RunsShow extends BaseCommand {
  static override description = 'Show one run: config, provenance and metric history';
  static override args = { id: Args.integer({ description: 'run id', required: true }) };

  async run(): Promise<RunRecord & { history: Awaited<ReturnType<typeof metricHistory>>; gradients: ProfileSummary | null }> {
    const { args, flags } = await this.parse(RunsShow);
    const db = await this.readDb(flags.db);
    const run = await getRun(db, args.id);
    if (!run) throw new UserError(`run ${args.id}: no such run in ${flags.db}`);
    const history = await metricHistory(db, run.id);
    const { config, metrics, ...facts } = run;
    this.log(stringify({ ...facts, metrics }).trimEnd());
    this.log('config:');
    this.log(stringify(config).trimEnd().replace(/^/gm, '  '));
    const names = [...new Set(history.map((h) => h.name))];
    const steps = [...new Set(history.map((h) => h.step))];
    const rows = steps.map((s) => [String(s), ...names.map((n) => fmtNum(history.find((h) => h.step === s && h.name === n)?.value))]);
    if (rows.length) this.log(`\n${table(['step', ...names], rows)}`);
    const gradients = await lastProfile(db, run.id);
    if (gradients) this.log(`\n${gradientText(gradients)}`);
    return { ...run, history, gradients };
  }
}

const DIRECTION = ['forward', 'backward'];
const QUANTITY: Record<string, string> = { grad_h: '|dL/dh_t|', grad_c: '|dL/dc_t|' };

/** The last gradient profile: per layer and direction how far the gradient falls across the
 *  sequence, then the recurrent matrices' health. */
export function gradientText(g: ProfileSummary): string {
  const decades = (p: ProfileSummary['profiles'][number]) =>
    p.zeroFrom !== null ? `> ${p.decades === null ? '?' : p.decades.toFixed(1)} (0 from lag ${p.zeroFrom})` : p.decades === null ? '-' : p.decades.toFixed(2);
  const flow = g.profiles.map((p) => [String(p.layer), DIRECTION[p.direction] ?? String(p.direction), QUANTITY[p.quantity] ?? p.quantity, fmtNum(p.lag1), String(p.lags), fmtNum(p.lagT), decades(p)]);
  const names = ['spectral_radius', 'sigma_max', 'identity_distance', 'dead_fraction'];
  const mats = g.matrices.map((m) => [String(m.layer), DIRECTION[m.direction] ?? String(m.direction), ...names.map((n) => fmtNum(m.values[n]))]);
  return [
    `gradient flow at step ${g.step} (probe batch; lag 1 = the last step, T = the longest lag; decades = log10(lag 1 / lag T)):`,
    table(['layer', 'direction', 'norm', 'at lag 1', 'T', 'at lag T', 'decades fallen'], flow),
    '',
    'recurrent matrices (candidate block for lstm/gru):',
    table(['layer', 'direction', 'spectral radius', 'largest singular value', 'distance from identity', 'dead units'], mats),
  ].join('\n');
}
