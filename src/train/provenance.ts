// What a run records about where it ran: git commit and dirty flag of the harness checkout,
// versions (harness, Node, tfjs), host. Missing git is not an error: the fields stay null.
import { execFileSync } from 'node:child_process';
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

let cached: { git: { commit: string | null; dirty: boolean | null }; versions: Record<string, string>; host: string } | null = null;

export function provenance(): NonNullable<typeof cached> {
  if (cached) return cached;
  const commit = git(['rev-parse', 'HEAD']);
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  cached = {
    git: { commit, dirty: status === null ? null : status.length > 0 },
    versions: { 'irnn-harness': pkg.version, node: process.versions.node, tfjs: tf.version.tfjs },
    host: hostname(),
  };
  return cached;
}
