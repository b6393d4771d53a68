// Timing shared by the trainer, the sweep workers and the store: how often a live run or job
// writes its heartbeat, and a promise that resolves after a pause.

/** A running run and a running sweep job each write a heartbeat at least this often. */
export const HEARTBEAT_MS = 5000;

/** Resolves after `ms`, or at once when `signal` aborts. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });
