// Helpers shared by the sweep tests (not a test file itself): the `irnn` binary as a user runs it,
// a fresh store path, and plain SQL reads of a store.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shardFiles } from '../src/launch/remote.js';
import { Db } from '../src/store/db.js';
import { checkpointDir } from '../src/train/checkpoint-file.js';

export const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));

export function irnn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Starts `irnn ARGS` in its own process group (so the test can kill it and its workers at once). */
export function irnnDetached(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { detached: true, stdio: 'ignore' });
}

export const tmpDb = () => join(mkdtempSync(join(tmpdir(), 'irnn-sweep-')), 'results.sqlite');

/** Runs one query on a store and closes it. */
export async function query<T>(path: string, sql: string, params: Array<string | number> = []): Promise<T[]> {
  const db = await Db.open(path);
  try {
    return await db.all<T>(sql, params);
  } finally {
    await db.close();
  }
}

/** The checkpoint folder of run `id` of the store at `path` (it is named by the run's uid too). */
export async function runCheckpointDir(path: string, id: number): Promise<string> {
  const [row] = await query<{ uid: string | null }>(path, 'SELECT uid FROM runs WHERE id = ?', [id]);
  return checkpointDir(path, { id, uid: row?.uid ?? null })!;
}

/** The last step at which `valid_mse` was evaluated in any shard a worker is writing in `scratch`
 *  (a Redis worker's scratch) or in its `irnn-task-*` folders (a SLURM task's) (-1: none yet): a
 *  test kills a job once it is truly mid-job. */
export async function lastEvalStep(scratch: string): Promise<number> {
  const tasks = readdirSync(scratch).filter((f) => f.startsWith('irnn-task-')).map((f) => join(scratch, f));
  let last = -1;
  for (const f of [scratch, ...tasks].flatMap(shardFiles)) {
    const db = await Db.openReadOnly(f);
    try {
      const r = await db.get<{ s: number | null }>("SELECT MAX(step) AS s FROM metrics WHERE name = 'valid_mse'");
      last = Math.max(last, r?.s ?? -1);
    } finally {
      await db.close();
    }
  }
  return last;
}
