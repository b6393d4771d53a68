// `irnn data prepare speech [OVERRIDES...] [--examples N] [--out DIR] [--cache DIR]`: generate (or
// find in the cache) the corpus a run with the same task settings would use, and optionally write
// example utterances as WAV files with phone alignments. Trains nothing, touches no store.
import { Args, Flags } from '@oclif/core';
import cliProgress from 'cli-progress';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { composeConfig } from '../../config/index.js';
import { prepareSpeech } from '../../data/speech.js';
import { speechSettings } from '../../tasks/speech.js';
import { UserError } from '../../util/errors.js';
import { BaseCommand } from '../base.js';

const DATASETS = ['speech'] as const;

export default class DataPrepare extends BaseCommand {
  static override description = 'Generate and cache a dataset ahead of runs; optionally write examples to look at or listen to';
  static override strict = false;
  static override args = {
    dataset: Args.string({ description: `dataset: ${DATASETS.join(', ')}`, required: true }),
    overrides: Args.string({ description: 'task overrides, as for `irnn run` (e.g. task.snr_db=10)', required: false }),
  };
  static override flags = {
    examples: Flags.integer({ description: 'write this many training utterances as WAV + phone labels', default: 0, min: 0 }),
    out: Flags.string({ description: 'folder for the examples (default: next to the cached corpus)' }),
    cache: Flags.string({ description: 'cache folder, as the runs use', default: join('results', 'cache') }),
  };
  static override examples = [
    '<%= config.bin %> data prepare speech',
    '<%= config.bin %> data prepare speech --examples 5 --out listen/',
    '<%= config.bin %> data prepare speech task.snr_db=10 task.noise=pink',
  ];

  async run(): Promise<Record<string, unknown>> {
    const { args, argv, flags } = await this.parse(DataPrepare);
    if (!DATASETS.includes(args.dataset as (typeof DATASETS)[number])) {
      throw new UserError(`data prepare: unknown dataset '${args.dataset}'; valid: ${DATASETS.join(', ')}`);
    }
    const overrides = (argv as string[]).slice(1);
    for (const o of overrides) {
      if (!/^[+~]?task\./.test(o)) throw new UserError(`data prepare: '${o}' is not a task.* override`);
    }
    const { config } = composeConfig({ overrides: ['task=speech', ...overrides] });
    const settings = speechSettings(config.task);
    const bar = process.stderr.isTTY && !this.jsonEnabled()
      ? new cliProgress.SingleBar({ stream: process.stderr, format: 'speech |{bar}| {value}/{total} utterances | ETA {eta}s', hideCursor: true }, cliProgress.Presets.shades_classic)
      : null;
    const started = Date.now();
    const corpus = await prepareSpeech({
      ...settings,
      cacheDir: resolve(flags.cache),
      examples: flags.examples,
      examplesDir: flags.out ? resolve(flags.out) : undefined,
      onProgress: (done, total) => {
        if (done === 1) bar?.start(total, 0);
        bar?.update(done);
      },
    });
    bar?.stop();
    const seconds = (Date.now() - started) / 1000;
    const frames = Object.fromEntries(Object.entries(corpus.splits).map(([s, d]) => [s, { utterances: d.n, frames: d.labels.length }]));
    const mb = statSync(corpus.cacheFile).size / 1e6;
    this.log(`${corpus.fromCache ? 'found' : `generated in ${seconds.toFixed(1)} s:`} ${corpus.cacheFile} (${mb.toFixed(1)} MB, ${corpus.featureSize} features per frame)`);
    for (const [s, f] of Object.entries(frames)) this.log(`  ${s}: ${f.utterances} utterances, ${f.frames} frames`);
    if (corpus.examplesDir) this.log(`examples: WAV files, phone label tracks (Audacity) and index.tsv in ${corpus.examplesDir}`);
    return { cacheFile: corpus.cacheFile, fromCache: corpus.fromCache, key: corpus.key, featureSize: corpus.featureSize, splits: frames, examplesDir: corpus.examplesDir, seconds };
  }
}
