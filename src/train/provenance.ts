// What a run records about where it ran: git commit and dirty flag of the harness checkout
// (util/git.ts: untracked code and configs count), versions (harness, Node, tfjs), host. Missing
// git is not an error: the fields stay null.
import { hostname } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { gitState, HARNESS_ROOT, uncommittedHash, type GitState } from '../util/git.js';
import { harnessPackage } from '../util/package.js';

let cached: {
  git: GitState;
  versions: Record<string, string>;
  host: string;
  /** What a checkpoint is tied to: the commit, plus a hash of the uncommitted changes (tracked
   *  files, and untracked files under src/, experiments/, native/) when the checkout is dirty (the
   *  package version when there is no git). */
  code: string;
} | null = null;

export function provenance(): NonNullable<typeof cached> {
  if (cached) return cached;
  const pkg = harnessPackage();
  const git = gitState(HARNESS_ROOT);
  const diff = git.dirty ? (uncommittedHash(HARNESS_ROOT) ?? '').slice(0, 12) : '';
  cached = {
    git,
    code: git.commit === null ? `irnn-harness ${pkg.version}` : `${git.commit.slice(0, 12)}${git.dirty ? `+dirty.${diff}` : ''}`,
    versions: { 'irnn-harness': pkg.version, node: process.versions.node, tfjs: tf.version.tfjs },
    host: hostname(),
  };
  return cached;
}
