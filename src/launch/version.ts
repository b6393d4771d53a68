// The harness version every remote job carries: the package version and the code it runs (commit,
// plus a hash of uncommitted changes). A worker whose version differs refuses the job, so one
// sweep's runs all come from the same code.
import { provenance } from '../train/provenance.js';
import { UserError } from '../util/errors.js';
import { harnessPackage } from '../util/package.js';

let cached: string | null = null;

export function harnessVersion(): string {
  if (cached) return cached;
  const pkg = harnessPackage();
  const code = provenance().code;
  cached = code.startsWith('irnn-harness') ? code : `irnn-harness ${pkg.version} (${code})`;
  return cached;
}

/** Throws the one-line refusal when a job was planned by another version of the harness. */
export function checkVersion(jobVersion: string): void {
  const mine = harnessVersion();
  if (jobVersion !== mine) {
    throw new UserError(`version mismatch: the job was planned by ${jobVersion}, this worker runs ${mine}; refused (run the same checkout on every host)`);
  }
}
