// One SLURM array task (`irnn worker --slurm TASKS --task N`, called by the batch script): runs the
// jobs on line N of the tasks file one after another, each into a shard on node-local scratch, and
// moves each finished shard into the sweep's folder atomically, with the checkpoint of a run that
// did not finish, so that `irnn sweep --resume` continues it on any node. SIGTERM (sent by SLURM
// before the time limit or on preemption) ends the current job as interrupted, with a checkpoint,
// and skips the rest. Never opens the central store.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { publishShard, runJobToShard, type RemoteJob } from './shard.js';

export const jobFile = (folder: string, idx: number) => join(folder, 'jobs', `${idx}.json`);

export async function runSlurmTask(o: { folder: string; task: number; scratch?: string; log: (l: string) => void; signal: AbortSignal }): Promise<void> {
  // --slurm names the tasks file; the sweep's folder is where it lives
  const folder = dirname(o.folder);
  const lines = readFileSync(o.folder, 'utf8').split('\n').filter((l) => l.trim());
  const line = lines[o.task];
  if (line === undefined) throw new UserError(`${o.folder}: no array task ${o.task} (${lines.length} tasks)`);
  const base = o.scratch ?? process.env['TMPDIR'] ?? tmpdir();
  let scratch: string;
  try {
    mkdirSync(base, { recursive: true });
    scratch = mkdtempSync(join(base, 'irnn-task-'));
  } catch (e) {
    throw new UserError(`--scratch ${base}: cannot make a folder there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    for (const idx of line.trim().split(/\s+/).map(Number)) {
      if (o.signal.aborted) break;
      const job = JSON.parse(readFileSync(jobFile(folder, idx), 'utf8')) as RemoteJob;
      o.log(`job ${idx} of sweep ${job.sweepId} started`);
      const r = await runJobToShard(job, { scratch, folder, signal: o.signal });
      await publishShard(r.path, join(folder, 'shards'), { checkpoints: true });
      o.log(`job ${idx} ${r.status}${r.error ? `: ${r.error}` : ''}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
