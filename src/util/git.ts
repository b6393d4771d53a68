// The git state of the harness checkout that a run records: the commit, and whether the checkout
// differs from it. Dirty means a tracked file is changed, or an untracked file sits where code or
// configs live (experiments/, src/, native/): a run that used an untracked experiments/model/x.yaml
// cannot be reproduced from its commit. Results, reports and caches are not code. No git: nulls.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The harness checkout (this file is src/util/git.ts). */
export const HARNESS_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Folders whose untracked files change what a run computes. */
export const CODE_DIRS = ['experiments', 'src', 'native'] as const;

/** Tracked folders that hold evidence, not code: the committed stores, checkpoints and reports of
 *  the reproduction change while its runs write to them, and that must not make them dirty. */
const NOT_CODE = [':(exclude)results', ':(exclude)reports'];

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
  const tracked = git(root, ['status', '--porcelain', '--untracked-files=no', '--', '.', ...NOT_CODE]);
  // Ignored files (.gitignore) are not listed; pathspecs are relative to the harness root.
  const untracked = git(root, ['status', '--porcelain', '--untracked-files=all', '--', ...CODE_DIRS]);
  if (tracked === null || untracked === null) return { commit, dirty: null };
  const newFiles = untracked.split('\n').filter((l) => l.startsWith('??'));
  return { commit, dirty: tracked.length > 0 || newFiles.length > 0 };
}

/** The uncommitted changes to tracked files (`git diff HEAD`), or null without git. */
export function gitDiff(root: string): string | null {
  return git(root, ['diff', 'HEAD', '--no-ext-diff', '--', '.', ...NOT_CODE]);
}

/** A hash of everything that makes the checkout differ from its commit: the changes to tracked
 *  files and the names and contents of untracked files where code and configs live (CODE_DIRS),
 *  so that adding, changing or removing such a file changes it. Null without git. */
export function uncommittedHash(root: string): string | null {
  const diff = gitDiff(root);
  const listed = git(root, ['ls-files', '--others', '--exclude-standard', '-z', '--', ...CODE_DIRS]);
  if (diff === null || listed === null) return null;
  const h = createHash('sha256').update(diff);
  for (const f of listed.split('\0').filter(Boolean).sort()) {
    h.update(`\0untracked ${f}\0`);
    try {
      h.update(readFileSync(join(root, f)));
    } catch {
      h.update('unreadable');
    }
  }
  return h.digest('hex');
}
