// `irnn run [OVERRIDES...]`: compose the config, train one run, record it in the store.
// `irnn run --resume ID` continues run ID from its newest checkpoint under the same id.
import { Args, Flags } from '@oclif/core';
import { composeConfig } from '../config/index.js';
import { isSweepOverride } from '../config/sweep.js';
import { UserError } from '../util/errors.js';
import { getRun, type RunRecord } from '../store/runs.js';
import { DEFAULT_DB } from '../store/db.js';
import { progressReporter } from '../cli/progress.js';
import { fmtMetrics, fmtNum } from '../cli/format.js';
import type { Task } from '../tasks/task.js';
import { BaseCommand } from './base.js';
import { SWEEP_FLAGS } from './sweep.js';

export default class Run extends BaseCommand {
  static override description = 'Train one run on the composed config and record it in the store';
  static override strict = false;
  static override args = {
    overrides: Args.string({ description: 'config overrides (Hydra grammar): group=option, +group@pkg=option, key=value, key={a: 1}, +key=value, ++key=value, ~key', required: false }),
  };
  static override flags = {
    quiet: Flags.boolean({ char: 'q', description: 'no progress output', default: false }),
    multirun: Flags.boolean({ char: 'm', description: 'run the overrides as a sweep (the same as irnn sweep)', default: false }),
    ...SWEEP_FLAGS,
    resume: Flags.integer({ min: 1, description: 'continue run ID from its newest checkpoint, under the same id (with --multirun: finish sweep ID)' }),
    force: Flags.boolean({ description: 'with --resume: continue even if the checkpoint was written by another code version', default: false }),
  };
  static override examples = [
    '<%= config.bin %> run',
    '<%= config.bin %> run model=lstm task.seq_len=150 train.steps=2000',
    '<%= config.bin %> run model=irnn optimizer=rmsprop optimizer.lr=1e-4 seed=3',
    '<%= config.bin %> run --resume 12',
  ];

  async run(): Promise<RunRecord | undefined> {
    const { argv, flags } = await this.parse(Run);
    if (flags.multirun) {
      await this.config.runCommand('sweep', this.argv.filter((a) => a !== '--multirun' && a !== '-m'));
      return undefined; // the sweep command printed its own output (and --json)
    }
    if (flags.resume !== undefined && argv.length > 0) {
      throw new UserError(`--resume ${flags.resume} takes no overrides: a resumed run continues with the config it was started with`);
    }
    if (flags.force && flags.resume === undefined) throw new UserError('--force goes with --resume');
    const swept = (argv as string[]).find((o) => isSweepOverride(o));
    if (swept) throw new UserError(`'${swept}' is a sweep: run it with irnn sweep (or irnn run --multirun); quote a value that contains commas`);
    const db = await this.openDb(flags.db);
    const notice = (line: string) => process.stderr.write(`${line}\n`);
    // Loaded here: tfjs and the models are needed only once a run starts.
    const { prepareResume } = await import('../train/resume.js');
    const resume = flags.resume === undefined ? undefined : await prepareResume(db, flags.resume, { force: flags.force, warn: notice });
    if (resume?.forced) notice(`run ${resume.runId}: resuming across code versions (${resume.checkpointCode} -> ${resume.code}), as forced`);
    const resolved = resume?.resolved ?? composeConfig({ overrides: argv as string[] });
    const { train } = await import('../train/run.js');
    const controller = new AbortController();
    let sigints = 0;
    const onSigint = () => {
      if (++sigints > 1) process.exit(130);
      process.stderr.write('\ninterrupting: the run writes a checkpoint and is marked interrupted (Ctrl-C again to quit at once)\n');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const progress = progressReporter({ logEvery: resolved.config.train.log_every, quiet: flags.quiet || this.jsonEnabled() });
    try {
      const result = await train({
        resolved,
        db,
        resume,
        signal: controller.signal,
        events: {
          onStart: (e) => {
            const from = resume ? `, resumed at step ${e.step} from ${resume.checkpoint.path}` : '';
            this.log(
              `run ${e.runId}: ${resolved.choices['task']} / ${resolved.choices['model']} seed ${resolved.config.seed}` +
                ` (T=${e.taskInfo['seq_len'] ?? '?'}, ${e.params} params, backend ${e.backend}, engine ${e.engine}${from})`,
            );
            progress.onStart?.(e);
          },
          onStep: (e) => progress.onStep?.(e),
          onEval: (e) => progress.onEval?.(e),
        },
      });
      progress.stop();
      const record = (await getRun(db, result.runId))!;
      const where = result.status === 'diverged' ? ` (diverged at step ${result.divergedStep})` : '';
      this.log(`run ${result.runId} ${result.status} at step ${result.step}${where}: ${fmtMetrics(result.metrics)}`);
      const b = record.taskInfo?.['baseline'] as Task['baseline'] | null | undefined; // stored by train()
      if (b && result.metrics[b.metric] !== undefined) {
        this.log(`${b.metric} ${fmtNum(result.metrics[b.metric])} vs baseline ${fmtNum(b.value)}: ${b.label}`);
      }
      if (result.status === 'interrupted') {
        this.log(`continue it with: irnn run --resume ${result.runId}${flags.db === DEFAULT_DB ? '' : ` --db ${flags.db}`}`);
        process.exitCode = 130;
      }
      return record;
    } finally {
      progress.stop();
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
  }
}
