// `irnn runs show ID`: one run in full: config, provenance, and its metric history.
import { Args } from '@oclif/core';
import { stringify } from 'yaml';
import { getRun, metricHistory, type RunRecord } from '../../store/runs.js';
import { fmtNum, table } from '../../cli/format.js';
import { UserError } from '../../util/errors.js';
import { BaseCommand } from '../base.js';

export default class RunsShow extends BaseCommand {
  static override description = 'Show one run: config, provenance and metric history';
  static override args = { id: Args.integer({ description: 'run id', required: true }) };

  async run(): Promise<RunRecord & { history: Awaited<ReturnType<typeof metricHistory>> }> {
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
    return { ...run, history };
  }
}
