// What a run records about where it ran: git commit and dirty flag of the harness checkout,
// versions (harness, Node, tfjs), host. Missing git is not an error: the fields stay null.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

let cached: {
  git: { commit: string | null; dirty: boolean | null };
  versions: Record<string, string>;
  host: string;
  /** What a checkpoint is tied to: the commit, plus a hash of the uncommitted changes to tracked
   *  files when the checkout is dirty (the package version when there is no git). */
  code: string;
} | null = null;

export function provenance(): NonNullable<typeof cached> {
  if (cached) return cached;
  const commit = git(['rev-parse', 'HEAD']);
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const dirty = status === null ? null : status.length > 0;
  const diff = dirty ? createHash('sha256').update(git(['diff', 'HEAD', '--no-ext-diff']) ?? '').digest('hex').slice(0, 12) : '';
  cached = {
    code: commit === null ? `irnn-harness ${pkg.version}` : `${commit.slice(0, 12)}${dirty ? `+dirty.${diff}` : ''}`,
    git: { commit, dirty },
    versions: { 'irnn-harness': pkg.version, node: process.versions.node, tfjs: tf.version.tfjs },
    host: hostname(),
  };
  return cached;
}
