// A campaign: long sweeps pinned to one commit, run in the background on a machine of their own,
// and carried from machine to machine by the repository. The plan (a YAML file, committed) names
// the commit (`ref`), the git worktree that holds it (`dir`) and `lanes`: lists of `irnn sweep`
// argument lines, one lane per process (at most one per core), each run at the lowest priority,
// line after line. A line whose sweep is already in its store is resumed (`irnn sweep --resume`),
// or passed over once finished, so starting a campaign again continues it. `snapshotCampaign`
// copies the stores (a consistent copy each) and the newest checkpoint of every unfinished run
// into the repository's checkout, ready to commit; a fresh clone then continues from there.
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Db } from '../store/db.js';
import { listRuns, type RunRecord } from '../store/runs.js';
import { snapshotStore } from '../store/snapshot.js';
import { listSweeps } from '../store/sweeps.js';
import { checkpointDir, listCheckpoints, storeCheckpointsDir } from '../train/checkpoint-file.js';
import { UserError } from '../util/errors.js';
import { pidAlive } from '../util/process.js';

export interface CampaignPlan {
  /** The plan file, and the checkout it belongs to (where snapshots go). */
  path: string;
  root: string;
  /** The commit (a tag, say) the campaign's code is pinned to. */
  ref: string;
  /** The worktree at `ref` where the lanes run (absolute). */
  dir: string;
  /** Each lane's `irnn sweep` argument lines, split on spaces. */
  lanes: Record<string, string[][]>;
  /** Lanes pinned to a CPU (taskset): a core of its own, that other work can be kept off. */
  cpus: Record<string, number>;
}

/** Reads and checks a plan. Paths in it are relative to the checkout that holds it. */
export function readPlan(path: string, root: string): CampaignPlan {
  if (!existsSync(path)) throw new UserError(`no campaign plan at ${path}`);
  const raw = parseYaml(readFileSync(path, 'utf8')) as { ref?: unknown; dir?: unknown; lanes?: unknown; cpus?: unknown } | null;
  if (!raw || typeof raw.ref !== 'string' || !raw.ref) throw new UserError(`${path}: 'ref' (the commit or tag to pin) is missing`);
  if (typeof raw.dir !== 'string' || !raw.dir) throw new UserError(`${path}: 'dir' (where the worktree lives) is missing`);
  if (!raw.lanes || typeof raw.lanes !== 'object' || Array.isArray(raw.lanes)) throw new UserError(`${path}: 'lanes' must map lane names to lists of sweep lines`);
  const lanes: Record<string, string[][]> = {};
  for (const [name, lines] of Object.entries(raw.lanes as Record<string, unknown>)) {
    if (!/^[a-z0-9_-]+$/i.test(name)) throw new UserError(`${path}: lane name '${name}' must be letters, digits, - or _`);
    if (lines !== null && !Array.isArray(lines)) throw new UserError(`${path}: lane ${name} must be a list of sweep lines`);
    lanes[name] = ((lines ?? []) as unknown[]).map((l, i) => {
      if (typeof l !== 'string') throw new UserError(`${path}: lane ${name}, line ${i + 1} is not a string`);
      const args = l.trim().split(/\s+/);
      const db = dbOf(args);
      if (!db || isAbsolute(db)) throw new UserError(`${path}: lane ${name}, line ${i + 1} needs --db with a path inside the repository`);
      return args;
    });
  }
  const cpus = (raw.cpus ?? {}) as Record<string, unknown>;
  for (const [name, cpu] of Object.entries(cpus)) {
    if (!lanes[name] || !Number.isInteger(cpu) || (cpu as number) < 0) throw new UserError(`${path}: cpus.${name} must be a lane's name and a CPU number`);
  }
  return { path: resolve(path), root: resolve(root), ref: raw.ref, dir: resolve(root, raw.dir), lanes, cpus: cpus as Record<string, number> };
}

export function dbOf(args: string[]): string | null {
  const at = args.indexOf('--db');
  return at >= 0 ? (args[at + 1] ?? null) : null;
}

/** The stores the plan's lines write (paths relative to a checkout). */
export function storesOf(plan: CampaignPlan): string[] {
  return [...new Set(Object.values(plan.lanes).flat().map((a) => dbOf(a)!))];
}

/** What a lane line runs: the sweep's own arguments plus one worker process. */
export function sweepArgs(args: string[]): string[] {
  return args.includes('--jobs') ? args : [...args, '--jobs', '1'];
}

const stateDir = (plan: CampaignPlan) => join(plan.dir, '.campaign');
const lanesFile = (plan: CampaignPlan) => join(stateDir(plan), 'lanes.json');

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const c = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => (code === 0 ? res(out.trim()) : rej(new UserError(`git ${args.join(' ')}: ${err.trim().split('\n')[0]}`))));
  });
}

function run(cmd: string, args: string[], cwd: string, log: (l: string) => void): Promise<void> {
  log(`$ ${cmd} ${args.join(' ')}`);
  return new Promise((res, rej) => {
    const c = spawn(cmd, args, { cwd, stdio: 'inherit' });
    c.on('close', (code) => (code === 0 ? res() : rej(new UserError(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

/** What the native addon is built from (scripts/build-native.mjs), and what it builds. */
const NATIVE_SOURCES = ['native', 'binding.gyp', 'scripts/build-native.mjs'];
const ADDON = join('build', 'Release', 'irnn_kernels.node');
/** Written last when a worktree has been made: one without it was left half-made. */
const READY = join('.campaign', 'worktree-ready');

/** Makes the worktree at `ref` if it is not there (installing its packages, and bringing the
 *  checkout's stores and checkpoints into it: they are the newest evidence), or checks that the
 *  one there is at `ref`. */
export async function ensureWorktree(plan: CampaignPlan, log: (l: string) => void): Promise<{ created: boolean; commit: string }> {
  const commit = await git(plan.root, ['rev-parse', '--verify', '--quiet', `${plan.ref}^{commit}`]).catch(() => {
    throw new UserError(`${plan.path}: ref '${plan.ref}' is not a commit of this repository (tags do not always travel with a copy of it: pin a full commit hash)`);
  });
  if (existsSync(plan.dir)) {
    const at = await git(plan.dir, ['rev-parse', 'HEAD']);
    if (at !== commit) throw new UserError(`the worktree ${plan.dir} is at ${at.slice(0, 12)}, the plan pins ${plan.ref} (${commit.slice(0, 12)}): stop the campaign, snapshot it, and remove the worktree (git worktree remove) first`);
    if (!existsSync(join(plan.dir, READY))) throw new UserError(`the worktree ${plan.dir} was left half-made (no ${READY}): remove it (git worktree remove --force ${plan.dir}) and start again`);
    return { created: false, commit };
  }
  await run('git', ['worktree', 'add', '--detach', plan.dir, commit], plan.root, log);
  await fillWorktree(plan, commit, log);
  mkdirSync(dirname(join(plan.dir, READY)), { recursive: true });
  writeFileSync(join(plan.dir, READY), `${commit}\n`);
  return { created: true, commit };
}

/** Packages, native kernels, stores and checkpoints of a new worktree (throws on any gap). */
async function fillWorktree(plan: CampaignPlan, commit: string, log: (l: string) => void): Promise<void> {
  const sameLock = existsSync(join(plan.root, 'node_modules')) && readFileSync(join(plan.root, 'package-lock.json'), 'utf8') === readFileSync(join(plan.dir, 'package-lock.json'), 'utf8');
  if (sameLock) {
    // The same lock file: the installed packages are the ones npm ci would install.
    await run('cp', ['-a', join(plan.root, 'node_modules'), plan.dir], plan.root, log);
    // The native kernels are the checkout's only when the checkout's sources of them (as they
    // are on disk, edits included) are the commit's; otherwise the worktree builds its own (a run
    // resumed on other kernels would not log what it would have logged).
    const sameNative = await git(plan.root, ['diff', '--quiet', commit, '--', ...NATIVE_SOURCES]).then(() => true, () => false);
    if (!sameNative) await run(process.execPath, ['scripts/build-native.mjs'], plan.dir, log);
    else if (existsSync(join(plan.root, 'build'))) await run('cp', ['-a', join(plan.root, 'build'), plan.dir], plan.root, log);
  } else {
    await run('npm', ['ci', '--no-audit', '--no-fund'], plan.dir, log);
  }
  // The build falls back to the TypeScript kernels without failing: where the checkout has the
  // native kernels, the worktree must have them too.
  if (existsSync(join(plan.root, ADDON)) && !existsSync(join(plan.dir, ADDON))) {
    throw new UserError(`the worktree ${plan.dir} has no native kernels (${ADDON}; see build/native-build.log there) where the checkout has them: remove it (git worktree remove --force ${plan.dir}) and start again`);
  }
  for (const db of storesOf(plan)) {
    const from = join(plan.root, db);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(plan.dir, db)), { recursive: true });
    copyFileSync(from, join(plan.dir, db));
    const ck = storeCheckpointsDir(from);
    // Into checkpoints/<store>/ exactly, whether or not the commit has a checkpoints folder (with
    // none, `cp -a` into checkpoints/ would drop the store's level and the runs would start over).
    if (existsSync(ck)) {
      log(`copying ${ck} -> ${join(plan.dir, dirname(db), 'checkpoints', basename(ck))}`);
      cpSync(ck, join(plan.dir, dirname(db), 'checkpoints', basename(ck)), { recursive: true, preserveTimestamps: true });
    }
    // Each unfinished run whose checkpoint the checkout holds must find it in the worktree, or its
    // lane would start it again from step 0.
    const copy = await Db.openReadOnly(join(plan.dir, db));
    try {
      for (const r of await listRuns(copy)) {
        if (r.status === 'finished' || r.status === 'diverged' || r.status === 'failed') continue;
        const had = listCheckpoints(checkpointDir(from, r)!).pop();
        if (had && !listCheckpoints(checkpointDir(join(plan.dir, db), r)!).length) {
          throw new UserError(`run ${r.id} of ${db}: its checkpoint ${had.path} did not reach the worktree ${plan.dir}; remove the worktree (git worktree remove --force) and start again`);
        }
      }
    } finally {
      await copy.close();
    }
  }
}

type LaneState = Record<string, { pid: number; startedAt: string; log: string }>;

function readLanes(plan: CampaignPlan): LaneState {
  try {
    return JSON.parse(readFileSync(lanesFile(plan), 'utf8')) as LaneState;
  } catch {
    return {};
  }
}

/** The lanes whose processes are alive. */
export function liveLanes(plan: CampaignPlan): LaneState {
  return Object.fromEntries(Object.entries(readLanes(plan)).filter(([, l]) => pidAlive(l.pid)));
}

/** With Linux's autogroup scheduling (`/proc/sys/kernel/sched_autogroup_enabled`), a process's
 *  nice value ranks it only against processes of its own session: a detached lane is a session
 *  of its own, and at nice 19 it still took half of a core from an interactive shell's tests or
 *  a benchmark. The nice of the lane's whole group (its sweeps and workers inherit it) is set
 *  to 19 too; without autogroup the file is absent and nice alone does the job. */
export function lowerAutogroup(pid: number): void {
  const file = `/proc/${pid}/autogroup`;
  if (!existsSync(file)) return;
  try {
    writeFileSync(file, '19');
  } catch (e) {
    process.emitWarning(`could not lower the scheduling group of lane process ${pid} (${file}): ${(e as Error).message}`);
  }
}

/** Starts every lane that is not running, each as a detached process at nice 19 running
 *  `irnn campaign lane NAME` (pinned to its CPU when the plan gives one), its output appended to
 *  `.campaign/NAME.log` in the worktree. */
export function startLanes(plan: CampaignPlan, bin: string, only?: string[]): LaneState {
  mkdirSync(stateDir(plan), { recursive: true });
  const state = liveLanes(plan);
  for (const name of only ?? Object.keys(plan.lanes)) {
    if (!plan.lanes[name]) throw new UserError(`no lane ${name} in ${plan.path} (lanes: ${Object.keys(plan.lanes).join(', ')})`);
    if (state[name]) continue;
    const log = join(stateDir(plan), `${name}.log`);
    const fd = openSync(log, 'a');
    const cmd = ['nice', '-n', '19', process.execPath, bin, 'campaign', 'lane', name, '--plan', plan.path];
    const pin = plan.cpus[name];
    const child = spawn(pin === undefined ? cmd[0]! : 'taskset', pin === undefined ? cmd.slice(1) : ['-c', String(pin), ...cmd], {
      cwd: plan.root,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.unref();
    lowerAutogroup(child.pid!);
    state[name] = { pid: child.pid!, startedAt: new Date().toISOString(), log };
  }
  writeFileSync(lanesFile(plan), `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

/** Asks every live lane to stop (SIGINT: its running job writes a checkpoint and ends
 *  interrupted) and waits up to `waitMs` for them to exit. Returns the lanes still alive. */
export async function stopLanes(plan: CampaignPlan, waitMs = 120_000): Promise<string[]> {
  const live = liveLanes(plan);
  for (const l of Object.values(live)) process.kill(l.pid, 'SIGINT');
  const until = Date.now() + waitMs;
  while (Date.now() < until && Object.values(live).some((l) => pidAlive(l.pid))) await new Promise((r) => setTimeout(r, 500));
  return Object.entries(live).filter(([, l]) => pidAlive(l.pid)).map(([n]) => n);
}

/** The newest sweep of a store made by exactly this command line, if any. */
async function sweepOf(dbPath: string, command: string): Promise<{ id: number; status: string } | null> {
  if (!existsSync(dbPath)) return null;
  const db = await Db.openReadOnly(dbPath);
  try {
    const found = (await listSweeps(db)).filter((s) => s.command === command).sort((a, b) => b.id - a.id)[0];
    return found ? { id: found.id, status: found.status } : null;
  } finally {
    await db.close();
  }
}

/** One lane: its lines in order, each a sweep started, resumed or passed over, in the worktree with
 *  its code. Before each, the plan is read again and the lane takes its first line that is neither
 *  done (its sweep finished or failed) nor already run by this lane process, so lines may be added,
 *  moved or removed anywhere in a running lane's list. Ends when no such line is left, or when
 *  `signal` aborts (the running sweep gets one SIGINT). */
export async function runLane(planPath: string, root: string, name: string, signal: AbortSignal, log: (l: string) => void): Promise<void> {
  const tried = new Set<string>();
  const said = new Set<string>();
  while (!signal.aborted) {
    const plan = readPlan(planPath, root);
    let next: { n: number; args: string[]; db: string; command: string; id: number | null } | null = null;
    for (const [i, line] of (plan.lanes[name] ?? []).entries()) {
      const args = sweepArgs(line);
      const db = dbOf(args)!;
      const command = ['irnn', 'sweep', ...args].join(' ');
      if (tried.has(command)) continue;
      const found = await sweepOf(join(plan.dir, db), command);
      if (found?.status === 'finished' || found?.status === 'failed') {
        if (!said.has(command)) {
          said.add(command);
          log(found.status === 'finished'
            ? `line ${i + 1}: sweep ${found.id} finished: ${command}`
            : `line ${i + 1}: sweep ${found.id} failed (irnn sweeps show ${found.id} --db ${db}); passed over: ${command}`);
        }
        continue;
      }
      next = { n: i + 1, args, db, command, id: found?.id ?? null };
      break;
    }
    if (!next) break;
    tried.add(next.command);
    const { n, args, db, id } = next;
    const argv = id !== null ? ['sweep', '--resume', String(id), '--db', db, '--jobs', args[args.indexOf('--jobs') + 1]!] : ['sweep', ...args];
    log(`line ${n}: ${new Date().toISOString()} irnn ${argv.join(' ')}`);
    const child = spawn(process.execPath, [join(plan.dir, 'bin', 'run.js'), ...argv], { cwd: plan.dir, stdio: 'inherit' });
    const forward = () => child.kill('SIGINT');
    signal.addEventListener('abort', forward, { once: true });
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    signal.removeEventListener('abort', forward);
    log(`line ${n}: ${new Date().toISOString()} exited with ${code}`);
  }
}

export interface SnapshotReport {
  store: string;
  runs: Array<{ id: number; status: string; step: number; checkpoint: string | null; note?: string }>;
}

/** Copies each store of the plan from the worktree into the checkout, and beside it the newest
 *  checkpoint of each unfinished run (none above `maxBytes`: such a run should finish in one
 *  stretch); checkpoints of runs that finished are removed from the checkout. */
export async function snapshotCampaign(plan: CampaignPlan, maxBytes: number): Promise<SnapshotReport[]> {
  const out: SnapshotReport[] = [];
  for (const db of storesOf(plan)) {
    const live = join(plan.dir, db);
    const dest = join(plan.root, db);
    if (!existsSync(live)) continue;
    mkdirSync(dirname(dest), { recursive: true });
    await snapshotStore(live, dest);
    const copy = await Db.openReadOnly(dest);
    let runs: RunRecord[];
    try {
      runs = (await listRuns(copy)).filter((r) => r.status === 'running' || r.status === 'interrupted' || r.status === 'pruned');
    } finally {
      await copy.close();
    }
    const report: SnapshotReport = { store: db, runs: [] };
    const kept = new Set<string>();
    for (const r of runs) {
      const newest = listCheckpoints(checkpointDir(live, r)!).pop();
      const entry: SnapshotReport['runs'][number] = { id: r.id, status: r.status, step: r.step, checkpoint: null };
      report.runs.push(entry);
      if (!newest) continue;
      if (statSync(newest.path).size > maxBytes) {
        entry.note = `checkpoint of ${(statSync(newest.path).size / 2 ** 20).toFixed(1)} MiB left out (limit ${(maxBytes / 2 ** 20).toFixed(1)} MiB)`;
        continue;
      }
      const to = checkpointDir(dest, r)!;
      mkdirSync(to, { recursive: true });
      for (const f of readdirSync(to)) if (f !== basename(newest.path)) rmSync(join(to, f), { force: true });
      copyFileSync(newest.path, join(to, basename(newest.path)));
      kept.add(resolve(to));
      entry.checkpoint = join(to, basename(newest.path));
    }
    const all = storeCheckpointsDir(dest);
    if (existsSync(all)) for (const d of readdirSync(all)) if (!kept.has(resolve(all, d))) rmSync(join(all, d), { recursive: true, force: true });
    out.push(report);
  }
  return out;
}
