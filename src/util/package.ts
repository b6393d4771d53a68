// The harness's own package.json, read once: its name and version (what a run records, and what a
// remote job's harness version starts with).
import { readFileSync } from 'node:fs';

let cached: { name: string; version: string } | null = null;

export function harnessPackage(): { name: string; version: string } {
  cached ??= JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return cached;
}
