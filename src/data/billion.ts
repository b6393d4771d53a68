// The One Billion Word benchmark's files (Chelba et al. 2013, the r13output release): 99 training
// shards training-monolingual.tokenized.shuffled/news.en-000NN-of-00100 and the held-out data cut
// into 50 shards, of which heldout-00000 is the benchmark's test set. Finds and checks the files;
// reading them is left to the streaming tokeniser (token-stream.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { CorpusFiles } from './corpus.js';

export const TRAIN_DIR = 'training-monolingual.tokenized.shuffled';
export const HELDOUT_DIR = 'heldout-monolingual.tokenized.shuffled';
/** The release's own folder name, accepted one level below task.path. */
const RELEASE_DIR = '1-billion-word-language-modeling-benchmark-r13output';
const TRAIN_SHARD = /^news\.en-(\d{5})-of-00100$/;
const heldout = (n: number) => `news.en.heldout-${String(n).padStart(5, '0')}-of-00050`;
/** Test: held-out shard 0, the benchmark's convention. Valid: held-out shard 1 (this harness's choice;
 *  the benchmark defines no validation set). */
export const TEST_SHARD = heldout(0);
export const VALID_SHARD = heldout(1);
/** A word enters the benchmark's vocabulary when the training shards have it at least 3 times. */
export const BILLION_MIN_COUNT = 3;

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** The benchmark's files under `root` (or under root/1-billion-word-language-modeling-benchmark-r13output). */
export function billionFiles(root: string): CorpusFiles {
  const base = isDir(join(root, TRAIN_DIR)) || !isDir(join(root, RELEASE_DIR)) ? root : join(root, RELEASE_DIR);
  const trainDir = join(base, TRAIN_DIR);
  const heldDir = join(base, HELDOUT_DIR);
  if (!isDir(trainDir)) throw new UserError(`task.path: missing ${trainDir} (the One Billion Word training shards)`);
  // Training shard 00000 is the held-out data before it was cut into 50: it never trains.
  const shards = readdirSync(trainDir)
    .filter((f) => {
      const m = TRAIN_SHARD.exec(f);
      return m !== null && m[1] !== '00000';
    })
    .sort();
  if (shards.length === 0) throw new UserError(`task.path: ${trainDir} holds no training shard news.en-000NN-of-00100`);
  const need = (name: string) => {
    const f = join(heldDir, name);
    if (!existsSync(f)) throw new UserError(`task.path: missing ${f} (the One Billion Word held-out shards)`);
    return f;
  };
  const test = need(TEST_SHARD);
  const valid = need(VALID_SHARD);
  const first = shards[0]!.slice(8, 13);
  const last = shards.at(-1)!.slice(8, 13);
  return {
    name: 'billion',
    files: { train: shards.map((f) => join(trainDir, f)), valid: [valid], test: [test] },
    words: 'exact',
    minCount: BILLION_MIN_COUNT,
    description: `One Billion Word, ${base}: train ${shards.length} shards (${first}-${last} of 00100), valid ${VALID_SHARD}, test ${TEST_SHARD}`,
  };
}
