// Whether a process (or the process behind a `running` record in the store) is still alive, for
// telling a live run or sweep job from one whose process was killed.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** A `running` record is stale when its process is gone or it has not written a heartbeat for this long. */
export const STALE_MS = 10 * 60_000;

/** Whether a process id names a live process on this machine (a zombie counts as dead). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    return readFileSync(stat, 'utf8').replace(/^.*\)\s*/s, '')[0] !== 'Z';
  } catch {
    return false; // exited between the two checks
  }
}

/** A record written by process `pid` on `host`, last heard of at `beat` (ISO time): stale when
 *  the process is known to be gone (same host) or the heartbeat is older than `staleMs`. */
export function isStale(o: { pid: number | null; host?: string | null; beat: string | null; staleMs?: number; at?: number }): boolean {
  const local = o.host === undefined || o.host === null || o.host === hostname();
  if (local && o.pid !== null && !pidAlive(o.pid)) return true;
  return o.beat === null || (o.at ?? Date.now()) - Date.parse(o.beat) > (o.staleMs ?? STALE_MS);
}
