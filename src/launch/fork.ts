// Forks a sibling module of the launchers (a sweep worker, a shard child) as a Node process that
// loads TypeScript: tsx is resolved here, from this checkout, so the child starts whatever the
// current directory is; the module's extension follows this file's (.ts from source).
import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const EXT = extname(fileURLToPath(import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Starts `./<name>` (beside this file) with `args`; `stdio` as for child_process.fork. */
export function forkModule(name: string, args: string[], stdio: StdioOptions): ChildProcess {
  return fork(fileURLToPath(new URL(`./${name}${EXT}`, import.meta.url)), args, { execArgv: ['--import', TSX], stdio });
}
