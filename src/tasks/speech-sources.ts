// Where the speech task's frames come from (`task.source`): the synthesized corpus, or TIMIT read
// from `task.path`. Each source gives its splits, the classes the network is trained on, and how
// those fold into the phones the frame error rate is counted in. Nothing here batches or scores.
import { need } from '../config/schema.js';
import type { Tree } from '../config/tree.js';
import { SPLIT_NAMES, type SplitName } from '../data/corpus.js';
import { PHONE_CLASS_OF, PHONES, type PhoneClass } from '../data/phonemes.js';
import { prepareSpeech, type SpeechSettings } from '../data/speech.js';
import type { SpeechSplit } from '../data/speech-cache.js';
import { prepareTimit } from '../data/timit.js';
import { CORE_TEST_SPEAKERS, DEV_SPEAKERS, TRAIN_SPEAKERS } from '../data/timit-layout.js';
import { broadClass39, PHONES_39, TIMIT_LABEL_SETS, timitLabels } from '../data/timit-phones.js';
import { UserError } from '../util/errors.js';
import type { TaskContext } from './task.js';

export interface SpeechCorpusView {
  featureSize: number;
  splits: Record<SplitName, SpeechSplit<unknown>>;
  /** The classes the network is trained on, in output order. */
  classes: readonly string[];
  /** The phones the frame error rate is counted in, each one's broad class, and the scored phone
   *  of every training class: a guess and a truth that fold to the same phone are no error. */
  scored: readonly string[];
  broad: readonly PhoneClass[];
  toScored: Int32Array;
  /** Facts recorded with the run, and notes stored with the per-class breakdown. */
  info: Record<string, number | string | boolean>;
  notes: Record<string, string>;
}

type SpeechSource = (cfg: Record<string, unknown>, ctx: TaskContext) => Promise<SpeechCorpusView>;

/** Reads and checks the task.* keys the synthetic corpus depends on. */
export function speechSettings(cfg: Record<string, unknown>): SpeechSettings {
  const tree = { task: cfg } as unknown as Tree;
  for (const s of SPLIT_NAMES) {
    need(tree, `task.${s}_utterances`, 'int>0');
    need(tree, `task.${s}_speakers`, 'int>0');
  }
  need(tree, 'task.data_seed', 'int>=0');
  need(tree, 'task.min_words', 'int>0');
  need(tree, 'task.max_words', 'int>0');
  need(tree, 'task.snr_db', 'number', { nullable: true });
  need(tree, 'task.noise', NOISES);
  need(tree, 'task.deltas', 'boolean');
  need(tree, 'task.delta_deltas', 'boolean');
  const per = (k: string) => Object.fromEntries(SPLIT_NAMES.map((s) => [s, cfg[`${s}_${k}`] as number])) as Record<SplitName, number>;
  return {
    dataSeed: cfg['data_seed'] as number,
    utterances: per('utterances'),
    speakers: per('speakers'),
    minWords: cfg['min_words'] as number,
    maxWords: cfg['max_words'] as number,
    snrDb: (cfg['snr_db'] as number | null) ?? null,
    noise: cfg['noise'] as SpeechSettings['noise'],
    deltas: cfg['deltas'] as boolean,
    deltaDeltas: cfg['delta_deltas'] as boolean,
  };
}

const NOISES = ['white', 'pink', 'mixed'] as const;

const synthetic: SpeechSource = async (cfg, ctx) => {
  const settings = speechSettings(cfg);
  const corpus = await prepareSpeech({ ...settings, cacheDir: ctx.cacheDir });
  const { train, valid, test } = corpus.splits;
  return {
    featureSize: corpus.featureSize,
    splits: corpus.splits,
    classes: PHONES,
    scored: PHONES,
    broad: PHONE_CLASS_OF,
    toScored: Int32Array.from(PHONES, (_, i) => i),
    info: {
      speakers: `${train.speakers.length}/${valid.speakers.length}/${test.speakers.length}`,
      snr_db: settings.snrDb ?? 'clean',
      noise: settings.noise,
      data_seed: settings.dataSeed,
      text: 'moby_dick phrases, cmudict pronunciations',
      corpus_key: corpus.key,
    },
    notes: { class_of_affricates: 'stop', class_of_hh: 'fricative' },
  };
};

const timit: SpeechSource = async (cfg, ctx) => {
  const tree = { task: cfg } as unknown as Tree;
  need(tree, 'task.path', 'string', { nullable: true });
  need(tree, 'task.deltas', 'boolean');
  need(tree, 'task.delta_deltas', 'boolean');
  const path = cfg['path'] as string | null;
  if (path === null) throw new UserError('task.source=timit needs task.path=<the TIMIT folder, with TRAIN and TEST>');
  const labels = timitLabels(cfg['timit_labels']);
  const corpus = prepareTimit({ path, labels, deltas: cfg['deltas'] as boolean, deltaDeltas: cfg['delta_deltas'] as boolean, cacheDir: ctx.cacheDir });
  const set = TIMIT_LABEL_SETS[labels];
  const { train, valid, test } = corpus.splits;
  return {
    featureSize: corpus.featureSize,
    splits: corpus.splits,
    classes: set.classes,
    scored: PHONES_39,
    broad: PHONES_39.map(broadClass39),
    toScored: set.to39,
    info: {
      // Of the standard 462 / 50 / 24: fewer means the folder is not the whole distribution.
      speakers: `${train.speakers.length}/${valid.speakers.length}/${test.speakers.length}`,
      speakers_expected: `${TRAIN_SPEAKERS}/${DEV_SPEAKERS.length}/${CORE_TEST_SPEAKERS.length}`,
      timit_root: corpus.root,
      timit_labels: labels,
      scored_phones: PHONES_39.length,
      corpus_key: corpus.key,
    },
    notes: { class_of_affricates: 'stop', class_of_hh: 'fricative', class_of_dx: 'stop', folding: 'Lee & Hon (1989), 39 phones; q removed' },
  };
};

export const SPEECH_SOURCES = { synthetic, timit } satisfies Record<string, SpeechSource>;
export type SpeechSourceName = keyof typeof SPEECH_SOURCES;
