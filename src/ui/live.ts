// Live updates: one watcher per server asks the store "did anything change?" at most once a second
// (Db.dataVersion: SQLite's data_version, a counter it bumps when another connection commits, read
// without touching any table) while some page listens, and tells every listening page over server-sent
// events; the page then fetches its own fresh content. A slower tick lets ages and stale flags move.
import type { ServerResponse } from 'node:http';
import type { Db } from '../store/db.js';

export const POLL_MS = 1000;
const TICK_MS = 15_000;

export class ChangeWatcher {
  private clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private version: string | null = null;
  private lastTick = Date.now();
  private polling = false;

  constructor(private readonly db: Db) {}

  /** Streams events to `res` until the page goes away. */
  attach(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(`retry: ${POLL_MS * 2}\n\n`);
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (!this.clients.size) this.stop();
    });
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), POLL_MS);
      void this.poll();
    }
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const v = await this.db.dataVersion();
      const changed = this.version !== null && v !== this.version;
      this.version = v;
      if (changed) this.send('change', { version: v });
      else if (Date.now() - this.lastTick >= TICK_MS) this.send('tick', {});
    } finally {
      this.polling = false;
    }
  }

  private send(event: string, data: unknown): void {
    this.lastTick = Date.now();
    for (const res of this.clients) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.version = null;
  }

  close(): void {
    this.stop();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
