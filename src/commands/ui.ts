// `irnn ui`: a live, read-only dashboard over the store (runs, one run, compare, sweeps) served on
// 127.0.0.1 by default; prints its URL and serves until Ctrl-C. The work is done by src/ui.
import { hostname } from 'node:os';
import { Flags } from '@oclif/core';
import { Db } from '../store/db.js';
import { UserError } from '../util/errors.js';
import { BaseCommand } from './base.js';

export default class Ui extends BaseCommand {
  static override description = 'Serve a live, read-only dashboard of the store: runs, one run, compare, sweeps';
  static override flags = {
    port: Flags.integer({ description: 'port to listen on (0: any free port)', default: 8765, min: 0, max: 65535 }),
    host: Flags.string({ description: 'address to bind; off loopback a random token in the printed URL is required for every request', default: '127.0.0.1' }),
  };
  static override examples = ['<%= config.bin %> ui', '<%= config.bin %> ui --db results/repro/adding.sqlite --port 9000', '<%= config.bin %> ui --host 0.0.0.0'];

  async run(): Promise<{ url: string }> {
    const { flags } = await this.parse(Ui);
    const db = await Db.openReadOnly(flags.db);
    const { startServer } = await import('../ui/server.js');
    const ui = await startServer({ db, dbLabel: flags.db, host: flags.host, port: flags.port }).catch(async (e: NodeJS.ErrnoException) => {
      await db.close();
      if (e.code === 'EADDRINUSE' || e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES' || e.code === 'ENOTFOUND') {
        throw new UserError(`--host ${flags.host} --port ${flags.port}: ${e.code === 'EADDRINUSE' ? 'port in use' : e.message}`);
      }
      throw e;
    });
    // Bound to every interface: show an address another machine can use.
    const url = /^(0\.0\.0\.0|::)$/.test(flags.host) ? ui.url.replace(/\/\/[^/]+:/, `//${hostname()}:`) : ui.url;
    this.log(`irnn ui: ${url}`);
    this.log(`serving ${flags.db} read-only; Ctrl-C stops`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await ui.close();
    await db.close();
    return { url };
  }
}
