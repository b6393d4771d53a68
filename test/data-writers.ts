// Test helpers (not a test file): small data sets written in the formats a researcher brings, so
// the readers are tested on files, never on downloads. A NIST SPHERE writer (header and 16-bit
// PCM in either byte order), a miniature TIMIT tree with .PHN files, the One Billion Word layout
// and Mikolov's Penn Treebank files.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `${prefix}-`));

export interface SphereOptions {
  sampleRate?: number;
  /** '01' little-endian (TIMIT's), '10' big-endian. */
  byteOrder?: string;
  headerBytes?: number;
  /** Fields to add, replace, or drop (null). */
  fields?: Record<string, number | string | null>;
}

/** A SPHERE file's bytes: NIST_1A, the header size, typed fields, end_head, then the samples. */
export function encodeSphere(samples: ArrayLike<number>, o: SphereOptions = {}): Buffer {
  const headerBytes = o.headerBytes ?? 1024;
  const fields: Record<string, number | string | null> = {
    database_id: 'TIMIT',
    database_version: '1.0',
    utterance_id: 'test utt',
    channel_count: 1,
    sample_count: samples.length,
    sample_rate: o.sampleRate ?? 16000,
    sample_min: -32768,
    sample_max: 32767,
    sample_n_bytes: 2,
    sample_byte_format: o.byteOrder ?? '01',
    sample_sig_bits: 16,
    ...o.fields,
  };
  const lines = ['NIST_1A', String(headerBytes).padStart(7)];
  for (const [k, v] of Object.entries(fields)) {
    if (v === null) continue;
    if (typeof v === 'string') lines.push(`${k} -s${v.length} ${v}`);
    else lines.push(`${k} ${Number.isInteger(v) ? '-i' : '-r'} ${v}`);
  }
  lines.push('end_head');
  const text = `${lines.join('\n')}\n`;
  if (text.length > headerBytes) throw new Error('SPHERE header does not fit');
  const buf = Buffer.alloc(headerBytes + 2 * samples.length, 0);
  buf.fill(' ', text.length, headerBytes);
  buf.write(text, 0, 'latin1');
  const big = (o.byteOrder ?? '01') === '10';
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-32768, Math.min(32767, Math.round(samples[i]!)));
    if (big) buf.writeInt16BE(v, headerBytes + 2 * i);
    else buf.writeInt16LE(v, headerBytes + 2 * i);
  }
  return buf;
}

/** Phones of a test sentence: [label, samples]; the audio is a tone per phone so frames differ. */
export type Segmentation = Array<[string, number]>;

/** A sentence: h#, a few phones (with allophones the 39-phone folding merges, and q), h#. */
export function sentence(seed: number): Segmentation {
  const phones = ['sh', 'iy', 'hv', 'ae', 'dcl', 'd', 'q', 'ix', 'n', 'ao', 'r', 'zh', 'ax-h', 'kcl', 'k', 'uw', 'ux', 'el', 'pau', 'tcl', 't', 'ih', 'aa', 'z'];
  const out: Segmentation = [['h#', 1800]];
  for (let i = 0; i < 9; i++) out.push([phones[(seed * 5 + i * 7) % phones.length]!, 600 + ((seed * 37 + i * 113) % 900)]);
  out.push(['h#', 1500]);
  return out;
}

/** The audio and .PHN text of a segmentation. */
export function utterance(seg: Segmentation): { samples: Float64Array; phn: string } {
  const total = seg.reduce((a, [, n]) => a + n, 0);
  const samples = new Float64Array(total);
  const lines: string[] = [];
  let at = 0;
  seg.forEach(([label, n], k) => {
    const f = 200 + 90 * ((label.charCodeAt(0) * 7 + label.length * 13) % 40);
    for (let i = 0; i < n; i++) samples[at + i] = label === 'h#' || label === 'pau' ? 30 * Math.sin(i * 1.3 + k) : 6000 * Math.sin((2 * Math.PI * f * i) / 16000);
    lines.push(`${at} ${at + n} ${label}`);
    at += n;
  });
  return { samples, phn: `${lines.join('\n')}\n` };
}

export interface TimitSpec {
  /** Folder and file names in lower case (a copy of the distribution made that way). */
  lower?: boolean;
  /** [TRAIN|TEST, DRn, speaker, sentence names] */
  speakers?: Array<[string, string, string, string[]]>;
}

/** Two training speakers; in TEST a development speaker, a core test speaker and one in neither. */
export const MINI_TIMIT: Array<[string, string, string, string[]]> = [
  ['TRAIN', 'DR1', 'FCJF0', ['SA1', 'SI1027', 'SX37']],
  ['TRAIN', 'DR2', 'MKLS0', ['SA2', 'SI1437', 'SX177', 'SX357']],
  ['TEST', 'DR1', 'FAKS0', ['SA1', 'SI943', 'SX133']],
  ['TEST', 'DR1', 'MDAB0', ['SI1039', 'SX139']],
  ['TEST', 'DR2', 'FPAS0', ['SX224']],
  ['TEST', 'DR3', 'MZZZ0', ['SI1', 'SX2']],
];

/** Writes a TIMIT tree under `root` (root/TRAIN, root/TEST) and returns root. */
export function writeTimit(root: string, spec: TimitSpec = {}): string {
  const name = (s: string) => (spec.lower ? s.toLowerCase() : s);
  let seed = 0;
  for (const [split, dr, speaker, sentences] of spec.speakers ?? MINI_TIMIT) {
    const dir = join(root, name(split), name(dr), name(speaker));
    mkdirSync(dir, { recursive: true });
    for (const s of sentences) {
      const u = utterance(sentence(seed++));
      writeFileSync(join(dir, `${name(s)}.${name('WAV')}`), encodeSphere(u.samples));
      writeFileSync(join(dir, `${name(s)}.${name('PHN')}`), u.phn);
      writeFileSync(join(dir, `${name(s)}.${name('TXT')}`), `0 ${u.samples.length} A sentence.\n`);
    }
  }
  return root;
}

/** Sentences of a billion-word shard: words drawn from a small, case-sensitive lexicon, plus words
 *  seen once (solo<seed>) and twice (twice<seed>) in the shard, and Zeta: once in shard 1, twice in
 *  shard 2, so three times over both. */
export function shardText(seed: number, lines: number): string {
  const words = ['The', 'the', 'cat', 'sat', 'on', 'a', 'mat', '.', ',', 'U.S.', 'said', 'it', "'s", 'dog', 'ran'];
  const extra = [` solo${seed} twice${seed} Zeta`, ` twice${seed}`, seed === 2 ? ' Zeta' : ''];
  return Array.from({ length: lines }, (_, i) =>
    Array.from({ length: 3 + ((seed + i) % 6) }, (_, j) => words[(seed * 7 + i * 5 + j * 3) % words.length]).join(' ') + (extra[i] ?? ''),
  ).join('\n') + '\n';
}

/** Writes the One Billion Word layout under `root` (training shards 1..shards, held-out 0 and 1,
 *  and the release's held-out source shard 00000, which must never train). */
export function writeBillion(root: string, o: { shards?: number; lines?: number } = {}): string {
  const train = join(root, 'training-monolingual.tokenized.shuffled');
  const held = join(root, 'heldout-monolingual.tokenized.shuffled');
  mkdirSync(train, { recursive: true });
  mkdirSync(held, { recursive: true });
  for (let n = 1; n <= (o.shards ?? 2); n++) writeFileSync(join(train, `news.en-${String(n).padStart(5, '0')}-of-00100`), shardText(n, o.lines ?? 60));
  writeFileSync(join(train, 'news.en-00000-of-00100'), 'HELDOUT only words here\n');
  writeFileSync(join(held, 'news.en.heldout-00000-of-00050'), shardText(90, 20));
  writeFileSync(join(held, 'news.en.heldout-00001-of-00050'), shardText(91, 20));
  return root;
}

/** Writes ptb.train.txt, ptb.valid.txt, ptb.test.txt as Mikolov's files have them (a leading space,
 *  lower case, N for numbers, <unk> already in the text). */
export function writePtb(dir: string, files: Partial<Record<'train' | 'valid' | 'test', string[]>> = {}): string {
  mkdirSync(dir, { recursive: true });
  const text: Record<'train' | 'valid' | 'test', string[]> = {
    train: [
      'aer banknote berlitz calloway centrust cluett', 'pierre <unk> N years old will join the board',
      'mr. <unk> is chairman of <unk> n.v. the dutch publishing group', 'the board will join the group',
      ...Array.from({ length: 30 }, (_, i) => ['the', 'group', 'will', 'join', 'N', 'years', 'board', 'mr.'].slice(i % 4, 4 + (i % 5)).join(' ')),
    ],
    valid: ['consumers may want to move their telephones', 'the board will join'],
    test: ['no it was n\'t black monday', 'the group will join the board'],
    ...files,
  };
  for (const [s, lines] of Object.entries(text)) writeFileSync(join(dir, `ptb.${s}.txt`), lines.map((l) => ` ${l} \n`).join(''));
  return dir;
}
