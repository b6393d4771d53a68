// The programs the launcher tests start (redis-server; munged, slurmctld, slurmd and the SLURM
// clients of a one-node cluster), installed from Debian's packages once, before any test starts
// (`npm test` runs this as its pretest step). Installs are serialized by a lock file; without root,
// without apt-get, or when apt-get fails, it stops at once with one line naming the packages.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** program -> the Debian package that installs it. */
export const TEST_PROGRAMS: Record<string, string> = {
  'redis-server': 'redis-server',
  munged: 'munge',
  slurmctld: 'slurmctld',
  slurmd: 'slurmd',
  sbatch: 'slurm-client',
  squeue: 'slurm-client',
  sinfo: 'slurm-client',
  scontrol: 'slurm-client',
};

/** Whether a program is on PATH or in the system folders (daemons live in /usr/sbin, which a
 *  non-login PATH may lack). */
export function hasProgram(cmd: string, path = process.env['PATH'] ?? ''): boolean {
  return [...path.split(':').filter(Boolean), '/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((dir) => existsSync(join(dir, cmd)));
}

/** The packages whose programs are missing, and those programs. */
export function missing(programs: Record<string, string>, has: (cmd: string) => boolean = hasProgram): { programs: string[]; packages: string[] } {
  const gone = Object.keys(programs).filter((cmd) => !has(cmd));
  return { programs: gone, packages: [...new Set(gone.map((cmd) => programs[cmd]!))] };
}

export interface Installer {
  /** Whether this process may install system packages. */
  root: boolean;
  /** Whether apt-get is here at all. */
  apt: boolean;
  /** Installs the packages, one install at a time; throws when apt-get fails. */
  install(packages: string[]): void;
}

/** Makes sure every program is there; returns null when it is, else the one line that says what
 *  is missing and why it could not be installed. */
export function ensurePrograms(o: { programs?: Record<string, string>; has?: (cmd: string) => boolean; installer?: Installer } = {}): string | null {
  const programs = o.programs ?? TEST_PROGRAMS;
  const has = o.has ?? hasProgram;
  const need = missing(programs, has);
  if (need.packages.length === 0) return null;
  const what = `the launcher tests need the Debian package(s) ${need.packages.join(' ')} (missing: ${need.programs.join(', ')})`;
  const installer = o.installer ?? aptInstaller();
  if (!installer.root) return `${what}; install them as root: apt-get install ${need.packages.join(' ')}`;
  if (!installer.apt) return `${what}; apt-get is not available here: install them with this system's package manager`;
  try {
    installer.install(need.packages);
  } catch (e) {
    return `${what}; apt-get install failed: ${((e as Error).message ?? String(e)).split('\n')[0]}`;
  }
  const still = missing(programs, has);
  return still.packages.length ? `${what}; still missing after apt-get install: ${still.programs.join(', ')}` : null;
}

/** apt-get under a lock file (flock, from util-linux), so concurrent installs wait for each other;
 *  a system without package lists yet gets them first. Its output goes to a log file. */
export function aptInstaller(): Installer {
  const lock = join(tmpdir(), 'irnn-test-deps.lock');
  const log = join(tmpdir(), 'irnn-test-deps.log');
  const apt = (args: string[]) =>
    execFileSync('flock', ['-w', '1800', lock, 'sh', '-c', `apt-get "$@" >>${log} 2>&1`, 'apt-get', ...args], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  return {
    root: process.getuid?.() === 0,
    apt: hasProgram('apt-get') && hasProgram('flock'),
    install(packages) {
      const install = ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-qq', ...packages];
      try {
        apt(install);
      } catch {
        try {
          apt(['update', '-qq']); // a fresh system has no package lists yet
          apt(install);
        } catch {
          throw new Error(`see ${log}`);
        }
      }
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problem = ensurePrograms();
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
