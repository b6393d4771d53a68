// `irnn report`: a report of the runs in the store (tables, learning curves, sweep heat-maps,
// speed, the paper's numbers, provenance) as one self-contained HTML file or Markdown + SVG.
// Reads the store only; the work is done by src/report.
import { Flags } from '@oclif/core';
import { BaseCommand } from './base.js';

export default class Report extends BaseCommand {
  static override description = 'Write a report of the runs in the store: tables, learning curves, sweeps, speed, paper numbers, provenance';
  static override flags = {
    sweep: Flags.integer({ description: 'only the runs of this sweep' }),
    task: Flags.string({ description: 'only runs of this task (config group option, e.g. adding)' }),
    model: Flags.string({ description: 'only runs of this model (e.g. irnn)' }),
    where: Flags.string({ description: 'only runs for which this expression is true, e.g. \'model.hidden >= 100 and optimizer.lr < 1e-3\'' }),
    format: Flags.string({ description: 'html (one self-contained file) or md (Markdown + SVG files beside it); default: from --out, else html', options: ['html', 'md'] }),
    out: Flags.string({ description: 'output file (default reports/report.html or reports/report.md)' }),
  };
  static override examples = [
    '<%= config.bin %> report',
    '<%= config.bin %> report --task adding --out reports/adding.html',
    '<%= config.bin %> report --where \'optimizer.lr < 1e-3 and status == "finished"\' --format md',
  ];

  async run(): Promise<{ out: string; format: string; files: string[]; runs: number[]; tasks: string[]; glance: string }> {
    const { flags } = await this.parse(Report);
    const db = await this.readDb(flags.db); // read-only: a report never creates or migrates a store
    // Loaded here, not at the top: vega and mathjs would slow down every other command's start.
    const { makeReport } = await import('../report/index.js');
    const r = await makeReport({
      db,
      dbPath: flags.db,
      selection: { sweep: flags.sweep, task: flags.task, model: flags.model, where: flags.where },
      format: flags.format,
      out: flags.out,
    });
    const extra = r.files.length > 1 ? ` (+ ${r.files.length - 1} SVG files beside it)` : '';
    this.log(`wrote ${r.out}${extra}: ${r.runs.length} runs, ${r.tasks.join(', ')}\n\n${r.glance}`);
    return r;
  }
}
