// The git state of the harness checkout that a run records: the commit, and whether the checkout
// differs from it. Dirty means a tracked file is changed, or an untracked file sits where code or
// configs live (experiments/, src/, native/): a run that used an untracked experiments/model/x.yaml
// cannot be reproduced from its commit. Results, reports and caches are not code. No git: nulls.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The harness checkout (this file is src/util/git.ts). */
export const HARNESS_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Folders whose untracked files change what a run computes. */
export const CODE_DIRS = ['experiments', 'src', 'native'] as const;

export interface GitState {
  commit: string | null;
  dirty: boolean | null;
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function gitState(root: string): GitState {
  const commit = git(root, ['rev-parse', 'HEAD']);
  if (commit === null) return { commit: null, dirty: null };
  const tracked = git(root, ['status', '--porcelain', '--untracked-files=no']);
  // Ignored files (.gitignore) are not listed; pathspecs are relative to the harness root.
  const untracked = git(root, ['status', '--porcelain', '--untracked-files=all', '--', ...CODE_DIRS]);
  if (tracked === null || untracked === null) return { commit, dirty: null };
  const newFiles = untracked.split('\n').filter((l) => l.startsWith('??'));
  return { commit, dirty: tracked.length > 0 || newFiles.length > 0 };
}

/** The uncommitted changes to tracked files (`git diff HEAD`), or null without git. */
export function gitDiff(root: string): string | null {
  return git(root, ['diff', 'HEAD', '--no-ext-diff']);
}
