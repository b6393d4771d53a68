// The base of every command: the shared --db flag, --json output, and the error policy
// (a user mistake is one line on stderr and exit code 2; anything else keeps oclif's handling).
import { Command, Flags, type Interfaces } from '@oclif/core';
import { Db, DEFAULT_DB } from '../store/db.js';
import { isUserError, oneLine } from '../util/errors.js';

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {
    db: Flags.string({ description: 'SQLite store to read and write', default: DEFAULT_DB, helpGroup: 'GLOBAL' }),
  };

  private opened: Db[] = [];

  /** Opens the store named by --db for writing (created and migrated if needed); closed when
   *  the command ends. */
  protected async openDb(path: string): Promise<Db> {
    const db = await Db.open(path);
    this.opened.push(db);
    return db;
  }

  /** Opens the store named by --db for reading only: a missing store is a user error, and the
   *  store is never created, migrated or changed. */
  protected async readDb(path: string): Promise<Db> {
    const db = await Db.openReadOnly(path);
    this.opened.push(db);
    return db;
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    if (isUserError(err)) {
      process.stderr.write(`Error: ${oneLine(err.message)}\n`);
      this.exit(2);
    }
    return super.catch(err);
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    for (const db of this.opened.splice(0)) await db.close().catch(() => undefined);
    return super.finally(err);
  }
}
