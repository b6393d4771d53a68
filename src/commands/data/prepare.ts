// `irnn data prepare speech [OVERRIDES...] [--examples N] [--out DIR] [--cache DIR]`: generate (or
// find in the cache) the corpus a run with the same task settings would use (synthesized, or TIMIT
// read from task.path), and optionally write synthesized example utterances as WAV files with
// phone alignments. Trains nothing, touches no store.
import { Args, Flags } from '@oclif/core';
import cliProgress from 'cli-progress';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { composeConfig } from '../../config/index.js';
import { prepareSpeech } from '../../data/speech.js';
import { prepareTimit } from '../../data/timit.js';
import { timitLabels } from '../../data/timit-phones.js';
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
    '<%= config.bin %> data prepare speech task.source=timit task.path=/data/timit',
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
    const source = String(config.task['source'] ?? 'synthetic');
    if (source !== 'synthetic' && flags.examples > 0) {
      throw new UserError(`data prepare: --examples writes synthesized utterances; task.source=${source} has its own audio files`);
    }
    const bar = process.stderr.isTTY && !this.jsonEnabled()
      ? new cliProgress.SingleBar({ stream: process.stderr, format: 'speech |{bar}| {value}/{total} utterances | ETA {eta}s', hideCursor: true }, cliProgress.Presets.shades_classic)
      : null;
    const onProgress = (done: number, total: number) => {
      if (done === 1) bar?.start(total, 0);
      bar?.update(done);
    };
    const started = Date.now();
    const cacheDir = resolve(flags.cache);
    let corpus: { cacheFile: string; fromCache: boolean; key: string; featureSize: number; splits: Record<string, { n: number; labels: Uint8Array }>; examplesDir?: string | null };
    if (source === 'timit') {
      const path = config.task['path'];
      if (typeof path !== 'string' || path === '') throw new UserError('task.source=timit needs task.path=<the TIMIT folder, with TRAIN and TEST>');
      corpus = prepareTimit({
        path, labels: timitLabels(config.task['timit_labels']), deltas: config.task['deltas'] === true,
        deltaDeltas: config.task['delta_deltas'] === true, cacheDir, onProgress,
      });
    } else {
      corpus = await prepareSpeech({
        ...speechSettings(config.task),
        cacheDir,
        examples: flags.examples,
        examplesDir: flags.out ? resolve(flags.out) : undefined,
        onProgress,
      });
    }
    bar?.stop();
    const seconds = (Date.now() - started) / 1000;
    const frames = Object.fromEntries(Object.entries(corpus.splits).map(([s, d]) => [s, { utterances: d.n, frames: d.labels.length }]));
    const mb = statSync(corpus.cacheFile).size / 1e6;
    const made = source === 'timit' ? 'read and cached' : 'generated';
    this.log(`${corpus.fromCache ? 'found' : `${made} in ${seconds.toFixed(1)} s:`} ${corpus.cacheFile} (${mb.toFixed(1)} MB, ${corpus.featureSize} features per frame)`);
    for (const [s, f] of Object.entries(frames)) this.log(`  ${s}: ${f.utterances} utterances, ${f.frames} frames`);
    if (corpus.examplesDir) this.log(`examples: WAV files, phone label tracks (Audacity) and index.tsv in ${corpus.examplesDir}`);
    return { cacheFile: corpus.cacheFile, fromCache: corpus.fromCache, key: corpus.key, featureSize: corpus.featureSize, splits: frames, examplesDir: corpus.examplesDir ?? null, seconds };
  }
}
