// The launcher seam (`launcher=local|slurm|redis`): a registry from launcher name to how a sweep's
// jobs run there. `local` is the worker pool on this machine (local.ts), unchanged; `slurm` and
// `redis` hand each job (override strings and the harness version) to an engine and merge the
// shards the jobs send back (remote.ts). Each entry also names its engine, for `irnn sweep collect`
// and the live view of `irnn sweeps show`.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Db } from '../store/db.js';
import { extendSweepSpec } from '../store/sweeps.js';
import { launchLocal, type JobOutcome, type LaunchEvents } from './local.js';
import type { PlannedJob } from './plan.js';
import { redisEngine } from './redis.js';
import { launchRemote, type Engine, type RemoteSweep } from './remote.js';
import type { RungScore, Scheduler } from './scheduler.js';
import { setting, type LauncherName, type LauncherSettings } from './settings.js';
import { slurmEngine } from './slurm.js';
import type { SameCode } from '../store/runs.js';

export interface LaunchContext {
  db: Db;
  sweepId: number;
  settings: LauncherSettings;
  /** Remote launchers: the sweep's token and folder (see remoteSweep). */
  remote: RemoteSweep | null;
  jobs: PlannedJob[];
  paused: PlannedJob[];
  scheduler: Scheduler;
  scoresOf: (idx: number, runId: number) => Promise<RungScore[]>;
  workers: number;
  failFast?: boolean;
  rerun?: boolean;
  /** Only finished runs of this code count as done (--rerun-other-commits; local launcher). */
  only?: SameCode;
  force?: boolean;
  /** Submit and return (remote launchers only). */
  detach?: boolean;
  signal?: AbortSignal;
  events?: LaunchEvents;
}

export type Stopped = 'done' | 'fail-fast' | 'interrupted' | 'detached';

export interface Launcher {
  /** The queue or scheduler behind a remote launcher; null for local. */
  engine: Engine | null;
  launch(c: LaunchContext): Promise<{ outcomes: JobOutcome[]; stopped: Stopped }>;
}

const remote = (engine: Engine): Launcher => ({
  engine,
  launch: (c) =>
    launchRemote(engine, c.remote!, { jobs: c.jobs, poll: setting(c.settings, 'poll', 'number') ?? 1, detach: c.detach, failFast: c.failFast, force: c.force, signal: c.signal, events: c.events }),
});

export const LAUNCHERS = {
  local: { engine: null, launch: (c) => launchLocal(c) },
  slurm: remote(slurmEngine),
  redis: remote(redisEngine),
} satisfies Record<LauncherName, Launcher>;

/** A new remote sweep's folder: launcher.dir (SLURM: on the shared file system), else `sweeps/`
 *  beside the store; recorded in the sweep's spec with its token. */
export async function newRemoteSweep(db: Db, o: { sweepId: number; token: string; settings: LauncherSettings }): Promise<RemoteSweep> {
  const base = (o.settings['dir'] as string | null | undefined) ?? join(dirname(resolve(db.path)), 'sweeps');
  const folder = resolve(base, `sweep-${o.sweepId}-${o.token.slice(0, 8)}`);
  mkdirSync(folder, { recursive: true });
  await extendSweepSpec(db, o.sweepId, { folder });
  return { db, sweepId: o.sweepId, token: o.token, folder, settings: o.settings };
}
