// What a run records about where it ran: git commit and dirty flag of the harness checkout
// (util/git.ts: untracked code and configs count), versions (harness, Node, tfjs), host. Missing
// git is not an error: the fields stay null.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { gitState, HARNESS_ROOT, type GitState } from '../util/git.js';

let cached: { git: GitState; versions: Record<string, string>; host: string } | null = null;

export function provenance(): NonNullable<typeof cached> {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  cached = {
    git: gitState(HARNESS_ROOT),
    versions: { 'irnn-harness': pkg.version, node: process.versions.node, tfjs: tf.version.tfjs },
    host: hostname(),
  };
  return cached;
}
