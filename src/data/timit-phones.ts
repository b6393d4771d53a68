// TIMIT's 61 phone labels and their folding after Lee & Hon (1989): 61 -> 48 labels to train on,
// 48 -> 39 to score with. The glottal stop q is removed, as they remove it: its frames carry no
// label. Label sets a speech task can train on are a registry, each with its folding to the 39.
import { UserError } from '../util/errors.js';
import { PHONE_SPECS, type Phone, type PhoneClass } from './phonemes.js';

/** The labels of TIMIT's .PHN files, in the order of the TIMIT documentation's phone table. */
export const TIMIT_PHONES = [
  'b', 'd', 'g', 'p', 't', 'k', 'dx', 'q', 'jh', 'ch', 's', 'sh', 'z', 'zh', 'f', 'th', 'v', 'dh',
  'm', 'n', 'ng', 'em', 'en', 'eng', 'nx', 'l', 'r', 'w', 'y', 'hh', 'hv', 'el', 'iy', 'ih', 'eh',
  'ey', 'ae', 'aa', 'aw', 'ay', 'ah', 'ao', 'oy', 'ow', 'uh', 'uw', 'ux', 'er', 'ax', 'ix', 'axr',
  'ax-h', 'pau', 'epi', 'h#', 'bcl', 'dcl', 'gcl', 'pcl', 'tcl', 'kcl',
] as const;

/** The label Lee & Hon remove before training and scoring. */
export const REMOVED = 'q';

// 61 -> 48: allophones merged into one training label (labels not listed stay themselves).
const TO_48: Record<string, string> = {
  'ax-h': 'ax', axr: 'er', hv: 'hh', em: 'm', nx: 'n', eng: 'ng', ux: 'uw',
  pcl: 'cl', tcl: 'cl', kcl: 'cl', bcl: 'vcl', dcl: 'vcl', gcl: 'vcl', 'h#': 'sil', pau: 'sil',
};
// 48 -> 39: the labels merged only when scoring (the confusions Lee & Hon do not count as errors).
const TO_39: Record<string, string> = {
  ao: 'aa', ax: 'ah', ix: 'ih', el: 'l', en: 'n', zh: 'sh', cl: 'sil', vcl: 'sil', epi: 'sil',
};

/** A TIMIT label (61) -> its 48-set label; q -> null. */
export function fold48(label: string): string | null {
  if (label === REMOVED) return null;
  return TO_48[label] ?? label;
}

/** A TIMIT label (61) or 48-set label -> its 39-set label; q -> null. */
export function fold39(label: string): string | null {
  const l48 = TO_48[label] ?? label;
  if (l48 === REMOVED) return null;
  return TO_39[l48] ?? l48;
}

/** Distinct values in first-seen order. */
const distinct = (xs: Array<string | null>): string[] => [...new Set(xs.filter((x): x is string => x !== null))];

/** The 39 scoring labels, in the order of the 61 they first fold from. */
export const PHONES_39: readonly string[] = distinct(TIMIT_PHONES.map(fold39));

export interface TimitLabelSet {
  /** The classes a network is trained on (its softmax), in output order. */
  classes: readonly string[];
  /** A TIMIT label -> class id, or -1 for q (no label). */
  classOf: (label: string) => number;
  /** Class id -> its id among PHONES_39. */
  to39: Int32Array;
}

function labelSet(fold: (label: string) => string | null): TimitLabelSet {
  const classes = distinct(TIMIT_PHONES.map(fold));
  const index = new Map(classes.map((c, i) => [c, i]));
  const index39 = new Map(PHONES_39.map((c, i) => [c, i]));
  return {
    classes,
    classOf: (label) => {
      const f = fold(label);
      return f === null ? -1 : index.get(f)!;
    },
    to39: Int32Array.from(classes, (c) => index39.get(fold39(c)!)!),
  };
}

/** `task.timit_labels`: what the network is trained on. Scoring always folds to the 39.
 *  61: TIMIT's own labels (60 classes: q is removed); 48: Lee & Hon's training set; 39: the
 *  scoring set itself. */
export const TIMIT_LABEL_SETS = {
  61: labelSet((l) => (l === REMOVED ? null : l)),
  48: labelSet(fold48),
  39: labelSet(fold39),
} satisfies Record<number, TimitLabelSet>;
export type TimitLabels = keyof typeof TIMIT_LABEL_SETS;
export const TIMIT_LABEL_NAMES = Object.keys(TIMIT_LABEL_SETS).map(Number) as TimitLabels[];

/** `task.timit_labels` checked: one of the label sets' sizes (a number, so not a config rule). */
export function timitLabels(v: unknown): TimitLabels {
  if (!TIMIT_LABEL_NAMES.includes(v as TimitLabels)) {
    const shown = typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v);
    throw new UserError(`task.timit_labels: expected one of ${TIMIT_LABEL_NAMES.join(', ')}, got ${shown}`);
  }
  return v as TimitLabels;
}

/** Broad class of a 39-set label, for the error breakdown: the synthetic task's classes, with
 *  the flap dx counted as a stop (a brief closure and release). */
export function broadClass39(label: string): PhoneClass {
  if (label === 'dx') return 'stop';
  if (label === 'sil') return 'silence';
  return PHONE_SPECS[label as Phone].cls;
}
