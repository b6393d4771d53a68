// Before a run is continued from a checkpoint: is there something to resume (not finished, not
// alive in another process), which checkpoint (the newest readable one), and is it safe (the same
// config, and the same code version unless forced). Builds the run's config back from the store.
// Trains nothing; train() does the restoring.
import { configHash, type Config, type ResolvedConfig } from '../config/index.js';
import type { Db } from '../store/db.js';
import { getRun, storeId, type RunRecord } from '../store/runs.js';
import { UserError } from '../util/errors.js';
import { isStale } from '../util/process.js';
import { checkpointDir, latestCheckpoint, type CheckpointContent } from './checkpoint-file.js';
import { provenance } from './provenance.js';

export interface ResumePlan {
  runId: number;
  resolved: ResolvedConfig;
  checkpoint: { path: string; content: CheckpointContent };
  /** The code version now, and the one that wrote the checkpoint. */
  code: string;
  checkpointCode: string;
  forced: boolean;
}

/** What a checkpoint says about who wrote it, next to the trainer state: the run (its id in its
 *  store, and its uid, which no other run of any store has) and the store's identity. */
export interface CheckpointFacts {
  step: number;
  runId: number;
  runUid: string;
  storeId: string | null;
  code: string;
  configHash: string;
}

/** The newest readable checkpoint of a run, or null. Damaged files are reported through `warn`. */
export function runCheckpoint(db: Db, run: Pick<RunRecord, 'id' | 'uid'>, warn?: (line: string) => void): ResumePlan['checkpoint'] | null {
  return latestCheckpoint(checkpointDir(db.path, run), warn);
}

/** Why a checkpoint may not continue this run of this store (null: it may). */
export function foreignCheckpoint(facts: Partial<CheckpointFacts>, run: Pick<RunRecord, 'id' | 'uid' | 'config'>, store: string | null): string | null {
  if (facts.storeId !== store) return `it was written for store ${facts.storeId ?? '(unnamed)'}, this store is ${store ?? '(unnamed)'}`;
  if (facts.runUid !== run.uid || facts.runId !== run.id) return `it belongs to run ${facts.runId ?? '?'} (${facts.runUid ?? 'no uid'}), not to this run (${run.uid})`;
  if (facts.configHash !== configHash(run.config as unknown as Config)) return 'it was written for another config';
  return null;
}

/** Refuses (UserError, exit code 2) a run that cannot be continued, before anything changes. */
export async function prepareResume(db: Db, runId: number, o: { force?: boolean; staleMs?: number; warn?: (line: string) => void } = {}): Promise<ResumePlan> {
  const run = await getRun(db, runId);
  if (!run) throw new UserError(`run ${runId}: no such run in ${db.path}`);
  if (run.status === 'finished' || run.status === 'diverged') throw new UserError(`run ${runId} is ${run.status}: there is nothing to resume`);
  if (run.status === 'running' && !isStale({ pid: run.pid, host: run.host, beat: run.heartbeatAt, staleMs: o.staleMs })) {
    throw new UserError(`run ${runId} is still running (pid ${run.pid} on ${run.host}, heartbeat ${run.heartbeatAt})`);
  }
  const checkpoint = runCheckpoint(db, run, o.warn);
  if (!checkpoint) {
    throw new UserError(`run ${runId} has no checkpoint to resume from in ${checkpointDir(db.path, run)} (train.checkpoint_every sets how often one is written)`);
  }
  const facts = checkpoint.content.meta as unknown as CheckpointFacts;
  const config = run.config as unknown as Config;
  const foreign = foreignCheckpoint(facts, run, await storeId(db));
  if (foreign) throw new UserError(`run ${runId}: the checkpoint ${checkpoint.path} is not this run's: ${foreign}`);
  const code = provenance().code;
  const forced = facts.code !== code;
  if (forced && !o.force) {
    throw new UserError(
      `run ${runId}: its checkpoint (step ${facts.step}) was written by code version ${facts.code}, this is ${code}; ` +
        'the run may not continue exactly as it would have. Resume anyway with --force',
    );
  }
  const resolved: ResolvedConfig = { config, choices: { task: run.task, model: run.model }, sweep: null, overrides: run.overrides };
  return { runId, resolved, checkpoint, code, checkpointCode: facts.code, forced };
}
