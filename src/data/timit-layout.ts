// Where the utterances of TIMIT's standard splits are on disk: the distribution's TRAIN/ and TEST/
// folders (either case), dialect regions DR1-DR8, one folder per speaker, and per sentence a SPHERE
// .WAV with its .PHN segmentation. Knows the 50-speaker development and 24-speaker core test sets;
// reads no audio and parses no labels.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import type { SplitName } from './corpus.js';

/** The core test set: two men and one woman from each dialect region, 192 SI and SX sentences. */
export const CORE_TEST_SPEAKERS = [
  'MDAB0', 'MWBT0', 'FELC0', 'MTAS1', 'MWEW0', 'FPAS0', 'MJMP0', 'MLNT0', 'FPKT0', 'MLLL0', 'MTLS0', 'FJLM0',
  'MBPM0', 'MKLT0', 'FNLP0', 'MCMJ0', 'MJDH0', 'FMGD0', 'MGRT0', 'MNJM0', 'FDHC0', 'MJLN0', 'MPAM0', 'FMLD0',
] as const;

/** The development set as commonly defined (e.g. Kaldi's egs/timit): 50 speakers of the test folder,
 *  none of them in the core test set. */
export const DEV_SPEAKERS = [
  'FAKS0', 'FDAC1', 'FJEM0', 'MGWT0', 'MJAR0', 'MMDB1', 'MMDM2', 'MPDF0', 'FCMH0', 'FKMS0', 'MBDG0', 'MBWM0',
  'MCSH0', 'FADG0', 'FDMS0', 'FEDW0', 'MGJF0', 'MGLB0', 'MRTK0', 'MTAA0', 'MTDT0', 'MTHC0', 'MWJG0', 'FNMR0',
  'FREW0', 'FSEM0', 'MBNS0', 'MMJR0', 'MDLS0', 'MDLF0', 'MDVC0', 'MERS0', 'FMAH0', 'FDRW0', 'MRCS0', 'MRJM4',
  'FCAL1', 'MMWH0', 'FJSJ0', 'MAJC0', 'MJSW0', 'MREB0', 'FGJD0', 'FJMG0', 'MROA0', 'MTEB0', 'MJFC0', 'MRJR0',
  'FMML0', 'MRWS1',
] as const;

/** The full training set has 462 speakers; every one of its folders is used. */
export const TRAIN_SPEAKERS = 462;

export interface TimitSpeaker {
  /** Unique across the splits: train first, then valid, then test. */
  id: number;
  /** Folder name, upper case: F or M, initials, a digit (FCJF0). */
  name: string;
  /** DR1 ... DR8. */
  dialect: string;
}

export interface TimitUtterance {
  /** TRAIN/DR1/FCJF0/SI1027, as named on disk. */
  name: string;
  wav: string;
  phn: string;
  speaker: number;
}

export interface TimitLayout {
  root: string;
  splits: Record<SplitName, { speakers: TimitSpeaker[]; utterances: TimitUtterance[] }>;
}

/** The entries of a folder, by lower-cased name (TIMIT copies exist in upper and lower case). */
function entries(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((f) => [f.toLowerCase(), f]));
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** The folder holding TRAIN and TEST: `path` itself, or its TIMIT subfolder (as on the LDC disc). */
function findRoot(path: string): { train: string; test: string } {
  const root = resolve(path);
  if (!isDir(root)) throw new UserError(`task.path: ${root} is not a folder`);
  for (const dir of [root, ...[...entries(root)].filter(([l]) => l === 'timit').map(([, f]) => join(root, f))]) {
    const e = entries(dir);
    const train = e.get('train');
    const test = e.get('test');
    if (train && test && isDir(join(dir, train)) && isDir(join(dir, test))) return { train: join(dir, train), test: join(dir, test) };
  }
  throw new UserError(`task.path: ${root} holds no TRAIN and TEST folders (the TIMIT distribution's layout)`);
}

/** Speaker folders of a TRAIN or TEST folder: upper-cased name -> { folder, dialect }. */
function speakerFolders(splitDir: string): Map<string, { dir: string; dialect: string }> {
  const out = new Map<string, { dir: string; dialect: string }>();
  for (const [lower, dr] of [...entries(splitDir)].sort()) {
    if (!/^dr[1-8]$/.test(lower) || !isDir(join(splitDir, dr))) continue;
    for (const [name, sp] of [...entries(join(splitDir, dr))].sort()) {
      if (/^[fm][a-z]{3}[0-9]$/.test(name) && isDir(join(splitDir, dr, sp))) {
        out.set(name.toUpperCase(), { dir: join(splitDir, dr, sp), dialect: dr.toUpperCase() });
      }
    }
  }
  return out;
}

/** The SI and SX sentences of one speaker folder (SA sentences, read by every speaker, are left out),
 *  each with its .PHN file, which must exist. */
function sentences(dir: string, root: string, speaker: number): TimitUtterance[] {
  const e = entries(dir);
  const out: TimitUtterance[] = [];
  for (const [lower, file] of [...e].sort()) {
    const m = /^(s[ix]\d+)\.wav$/.exec(lower);
    if (!m) continue;
    const phn = e.get(`${m[1]}.phn`);
    const stem = file.slice(0, -4);
    if (!phn) throw new UserError(`${join(dir, `${stem}.${file.endsWith('.wav') ? 'phn' : 'PHN'}`)}: missing (every sentence needs its .PHN segmentation)`);
    out.push({ name: relative(root, join(dir, stem)).split('\\').join('/'), wav: join(dir, file), phn: join(dir, phn), speaker });
  }
  return out;
}

/** Finds the standard splits under `path`: every training speaker; the development and core test
 *  speakers of the test folder. A split without any of its speakers, or a speaker without
 *  sentences, is a UserError naming the folder. */
export function timitLayout(path: string): TimitLayout {
  const dirs = findRoot(path);
  const root = resolve(dirs.train, '..');
  const train = speakerFolders(dirs.train);
  const test = speakerFolders(dirs.test);
  const picks: Record<SplitName, { from: Map<string, { dir: string; dialect: string }>; names: string[]; where: string; what: string }> = {
    train: { from: train, names: [...train.keys()], where: dirs.train, what: 'no speaker folders under DR1-DR8' },
    valid: { from: test, names: DEV_SPEAKERS.filter((s) => test.has(s)), where: dirs.test, what: `none of the ${DEV_SPEAKERS.length} development speakers (${DEV_SPEAKERS.slice(0, 3).join(', ')}, ...)` },
    test: { from: test, names: CORE_TEST_SPEAKERS.filter((s) => test.has(s)), where: dirs.test, what: `none of the ${CORE_TEST_SPEAKERS.length} core test speakers (${CORE_TEST_SPEAKERS.slice(0, 3).join(', ')}, ...)` },
  };
  let next = 0;
  const splits = {} as TimitLayout['splits'];
  for (const [split, p] of Object.entries(picks) as Array<[SplitName, (typeof picks)[SplitName]]>) {
    if (p.names.length === 0) throw new UserError(`task.path: ${p.where} has ${p.what}, so the ${split} split is empty`);
    const speakers: TimitSpeaker[] = [];
    const utterances: TimitUtterance[] = [];
    for (const name of p.names) {
      const f = p.from.get(name)!;
      const speaker: TimitSpeaker = { id: next++, name, dialect: f.dialect };
      const said = sentences(f.dir, root, speaker.id);
      if (said.length === 0) throw new UserError(`${f.dir}: no SI or SX sentence (.WAV files) in this speaker's folder`);
      speakers.push(speaker);
      utterances.push(...said);
    }
    splits[split] = { speakers, utterances };
  }
  return { root, splits };
}
