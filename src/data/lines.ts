// Reading a text file line by line in fixed-size chunks, so that a corpus of gigabytes is never in
// memory at once (One Billion Word's training shards). UTF-8, \n or \r\n line ends; a NUL byte
// means the file is not text, a UserError naming it. Knows nothing of words or vocabularies.
import { closeSync, openSync, readSync } from 'node:fs';
import { UserError } from '../util/errors.js';

const CHUNK = 8 << 20;

/** Opens a file a user gave for reading; one that cannot be opened is a user error naming it. */
export function openUserFile(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

/** Calls `fn` with every line of `path` (without its line end), in order. */
export function forEachLine(path: string, fn: (line: string) => void, chunkBytes = CHUNK): void {
  const fd = openUserFile(path);
  try {
    const buf = Buffer.alloc(chunkBytes);
    // streaming decode: a character cut by a chunk boundary is completed by the next chunk
    const decoder = new TextDecoder('utf-8');
    let rest = '';
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const bytes = buf.subarray(0, n);
      if (bytes.includes(0)) throw new UserError(`${path}: not a text file (it holds NUL bytes)`);
      const text = rest + decoder.decode(bytes, { stream: true });
      const lines = text.split('\n');
      rest = lines.pop()!;
      for (const l of lines) fn(l.endsWith('\r') ? l.slice(0, -1) : l);
    }
    rest += decoder.decode();
    if (rest !== '') fn(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  } finally {
    closeSync(fd);
  }
}
