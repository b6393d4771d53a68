// Writing a data cache file so that a concurrent reader (another run of a sweep) never sees half
// of it: written under a temporary name in the same folder, then renamed. Reading stays with the
// format's own module; this file knows nothing of what the bytes mean.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Creates the parent folder if needed, writes `data` to `path.<pid>.tmp` and renames it to `path`. */
export function writeCacheFile(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
