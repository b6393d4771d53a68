// `irnn worker`: runs sweep jobs for a remote launcher. `--redis URL` takes jobs from a BullMQ queue
// until stopped (Ctrl-C ends running jobs as interrupted); `--slurm FOLDER` runs the jobs of one
// SLURM array task (the batch script the SLURM launcher writes calls it).
import { Flags } from '@oclif/core';
import { runRedisWorker } from '../launch/redis-worker.js';
import { runSlurmTask } from '../launch/slurm-task.js';
import { UserError } from '../util/errors.js';
import { BaseCommand } from './base.js';

export default class WorkerCmd extends BaseCommand {
  static override description = 'Run sweep jobs for the redis or slurm launcher (see `irnn sweep launcher=...`)';
  static override flags = {
    redis: Flags.string({ description: 'take jobs from the queue on this Redis server (redis://host:port)' }),
    queue: Flags.string({ description: 'the queue name (launcher.queue of the sweep)', default: 'irnn' }),
    concurrency: Flags.integer({ char: 'c', min: 1, description: 'jobs run side by side, each in its own process', default: 1 }),
    'lock-seconds': Flags.integer({ min: 1, description: 'a job whose worker stops renewing its lock this long is given to another worker', default: 30 }),
    scratch: Flags.string({ description: 'node-local folder for shards while jobs run [default: a new folder under $TMPDIR]' }),
    slurm: Flags.string({ description: "run one SLURM array task's jobs of the sweep in this folder", hidden: true }),
    task: Flags.integer({ min: 0, description: 'with --slurm: the array task [default: $SLURM_ARRAY_TASK_ID]', hidden: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(WorkerCmd);
    if (!flags.redis === !flags.slurm) throw new UserError('irnn worker needs exactly one of --redis URL or --slurm FOLDER');
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    if (flags.redis) {
      await runRedisWorker({ url: flags.redis, queue: flags.queue, concurrency: flags.concurrency, lockMs: flags['lock-seconds'] * 1000, scratch: flags.scratch, log, signal: controller.signal });
      return;
    }
    const task = flags.task ?? Number(process.env['SLURM_ARRAY_TASK_ID']);
    if (!Number.isInteger(task)) throw new UserError('--slurm needs --task N or $SLURM_ARRAY_TASK_ID');
    await runSlurmTask({ folder: flags.slurm!, task, scratch: flags.scratch, log, signal: controller.signal });
  }
}
