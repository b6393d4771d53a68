// A 16 kHz source-filter (formant) synthesizer: phone ids + a speaker -> samples and the sample
// boundaries of every phone. Control tracks (formants, amplitudes, noise bands) are built at 1 ms
// resolution from per-phone targets and smoothed so formants glide between neighbours.
// It does not model prosody beyond a declining, wavering pitch, nor real coarticulation rules.
import { AntiResonator, BandPass, Resonator, boxSmooth, dbToGain, pinkNoise } from './dsp.js';
import { PHONES, PHONE_INDEX, PHONE_SPECS, SIL, type PhoneSpec } from './phonemes.js';
import { pitchTrack, type Speaker } from './speaker.js';
import type { Rng } from '../util/rng.js';

export const SAMPLE_RATE = 16000;
const MS = SAMPLE_RATE / 1000; // samples per control step

export type NoiseColour = 'white' | 'pink';

export interface SynthOptions {
  /** Class ids of PHONES, silence included where wanted. */
  phones: readonly number[];
  /** Unstressed vowels: shortened and pulled towards a neutral schwa (absent = none). */
  reduced?: readonly boolean[];
  speaker: Speaker;
  rng: Rng;
  /** Signal-to-noise ratio of the added noise against the speech (non-silence) power; null = clean. */
  snrDb: number | null;
  noise: NoiseColour;
  /** Fixed phone durations in ms (else drawn around each phone's mean for the speaker's rate). */
  durationsMs?: readonly number[];
}

export interface Synthesized {
  /** [N] samples at SAMPLE_RATE in [-1, 1]. */
  samples: Float32Array;
  /** [P] class ids of the segments and [P + 1] their sample boundaries (0 ... N). */
  phones: Int32Array;
  bounds: Int32Array;
}

interface Tracks {
  f: Float32Array[]; // F1..F3 targets in Hz, [nMs] each
  bw: Float32Array[];
  av: Float32Array; // voicing amplitude
  ah: Float32Array; // aspiration amplitude (through the formant cascade)
  af: Float32Array; // frication / burst amplitude (parallel band-pass)
  fc: Float32Array; // band centre
  fw: Float32Array; // band width
  zero: Float32Array; // nasal antiformant frequency; 0 = not nasal
}

// Unstressed vowels last about 60% as long and move 40% of the way to a neutral vocal tract.
const REDUCED_DURATION = 0.6;
const REDUCTION = 0.4;
const SCHWA = [500, 1500, 2500];

function drawDurations(o: SynthOptions): number[] {
  if (o.durationsMs) return [...o.durationsMs];
  let last = o.phones.length - 1;
  while (last > 0 && o.phones[last] === SIL) last--;
  return o.phones.map((p, i) => {
    const spec = PHONE_SPECS[PHONES[p]!];
    if (p === SIL) return spec.dur * (0.5 + o.rng.uniform());
    const final = i === last ? 1.4 : 1; // phrase-final lengthening
    const lengthen = final * (o.reduced?.[i] ? REDUCED_DURATION : 1);
    return Math.max(30, spec.dur * o.speaker.rate * lengthen * Math.exp(o.rng.normal(0, 0.22)));
  });
}

/** The formant target of a phone, or of its nearest neighbour for phones without one (sil, hh). */
function formantsOf(phones: readonly number[], i: number): readonly [number, number, number] {
  const own = PHONE_SPECS[PHONES[phones[i]!]!].formants;
  if (own) return own;
  const order = phones[i] === SIL && i > 0 ? [-1, 1] : [1, -1];
  for (const dir of order) {
    for (let j = i + dir; j >= 0 && j < phones.length; j += dir) {
      const f = PHONE_SPECS[PHONES[phones[j]!]!].formants;
      if (f) return f;
    }
  }
  return [500, 1500, 2500];
}

function buildTracks(o: SynthOptions, ms: Int32Array): Tracks {
  const n = ms[ms.length - 1]!;
  const arr = () => new Float32Array(n);
  const t: Tracks = { f: [arr(), arr(), arr()], bw: [arr(), arr(), arr()], av: arr(), ah: arr(), af: arr(), fc: arr(), fw: arr(), zero: arr() };
  const k = o.speaker.tract;
  // A token's formant target: the phone's, centralised if reduced, scaled for the speaker, jittered.
  const target = (f: readonly number[], reduced: boolean) =>
    f.map((v, j) => (reduced ? v + REDUCTION * (SCHWA[j]! - v) : v) * k * o.speaker.formants[j]! * (1 + o.rng.normal(0, 0.03)));
  o.phones.forEach((p, i) => {
    const spec: PhoneSpec = PHONE_SPECS[PHONES[p]!];
    const s = ms[i]!;
    const e = ms[i + 1]!;
    const reduced = o.reduced?.[i] ?? false;
    const start = target(formantsOf(o.phones, i), reduced);
    const end = spec.glide ? target(spec.glide, reduced) : start;
    const noise = spec.noise;
    // Stops: closure, a 6 ms burst, then aspiration (voiceless) or frication (affricates).
    const affricate = p === PHONE_INDEX['ch'] || p === PHONE_INDEX['jh'];
    const burstAt = spec.cls === 'stop' ? s + Math.round((e - s) * (affricate ? 0.45 : spec.voiced ? 0.75 : 0.55)) : e;
    for (let m = s; m < e; m++) {
      const u = e - s > 1 ? (m - s) / (e - s - 1) : 0;
      const w = spec.glide ? Math.min(1, Math.max(0, (u - 0.2) / 0.6)) : 0;
      for (let j = 0; j < 3; j++) t.f[j]![m] = start[j]! + w * (end[j]! - start[j]!);
      const nasal = spec.nasalZero !== undefined;
      t.bw[0]![m] = nasal ? 110 : 70;
      t.bw[1]![m] = nasal ? 200 : 100;
      t.bw[2]![m] = nasal ? 300 : 160;
      t.zero[m] = nasal ? spec.nasalZero! * k : 0;
      switch (spec.cls) {
        case 'vowel':
          t.av[m] = 1;
          break;
        case 'liquid_glide':
          t.av[m] = 0.6;
          break;
        case 'nasal':
          t.av[m] = 0.5;
          break;
        case 'fricative':
          t.av[m] = spec.voiced ? 0.3 : 0;
          if (p === PHONE_INDEX['hh']) t.ah[m] = dbToGain(noise!.db);
          else t.af[m] = dbToGain(noise!.db);
          break;
        case 'stop':
          if (m < burstAt) t.av[m] = spec.voiced ? 0.08 : 0; // closure, with a voice bar if voiced
          else if (m < burstAt + 6) t.af[m] = dbToGain(noise!.db);
          else if (affricate) t.af[m] = dbToGain(noise!.db - 4);
          else if (!spec.voiced) t.ah[m] = ASPIRATION;
          if (affricate && spec.voiced && m >= burstAt) t.av[m] = 0.3;
          if (!affricate && spec.voiced && m >= burstAt + 6) t.av[m] = 0.6;
          break;
        case 'silence':
          break;
      }
      if (noise) {
        t.fc[m] = Math.min(7200, noise.centre * k);
        t.fw[m] = noise.width * k;
      }
    }
  });
  holdNonZero(t.fc);
  holdNonZero(t.fw);
  // Formants glide over ~50 ms (two 25 ms boxes = a triangle); levels ramp over 3 ms to avoid clicks.
  t.f = t.f.map((f) => boxSmooth(boxSmooth(f, 25), 25));
  t.bw = t.bw.map((b) => boxSmooth(b, 15));
  t.av = boxSmooth(t.av, 5);
  t.ah = boxSmooth(t.ah, 3);
  t.af = boxSmooth(t.af, 3);
  return t;
}

/** Fills zeros with the nearest earlier non-zero value (or the first one), in place, so the noise
 *  band is defined wherever smoothing spreads a noise level past its phone. */
function holdNonZero(x: Float32Array): void {
  let last = x.find((v) => v > 0) ?? 1000;
  for (let i = 0; i < x.length; i++) {
    if (x[i]! > 0) last = x[i]!;
    else x[i] = last;
  }
}

// Filtered noise sources need no Gaussian samples: unit-variance uniform noise is white too, and
// is several times cheaper than Box-Muller.
const white = (rng: Rng): number => (rng.uniform() - 0.5) * 3.4641016151377544;

// Makes a vowel's RMS about 1 before the output is normalised, so the dB levels of noise sources
// in phonemes.ts are relative to a vowel. The differentiated pulse's power grows as f0^3 (shorter,
// steeper and more frequent pulses), hence the pitch compensation where it is used.
const VOICE_GAIN = 19;
const voiceGain = (f0: number): number => VOICE_GAIN * Math.pow(100 / f0, 1.5);
const ASPIRATION = dbToGain(-26);

export function synthesize(o: SynthOptions): Synthesized {
  const durs = drawDurations(o);
  const ms = new Int32Array(durs.length + 1);
  durs.forEach((d, i) => (ms[i + 1] = ms[i]! + Math.max(1, Math.round(d))));
  const nMs = ms[durs.length]!;
  const N = nMs * MS;
  const tr = buildTracks(o, ms);
  const f0 = pitchTrack(nMs, o.speaker.f0, o.rng);
  const { rng, speaker: spk } = o;
  const cascade = [0, 1, 2, 3, 4].map(() => new Resonator(SAMPLE_RATE));
  cascade[3]!.set(Math.min(7000, 3500 * spk.tract), 250);
  cascade[4]!.set(Math.min(7400, 4500 * spk.tract), 300);
  const anti = new AntiResonator(SAMPLE_RATE);
  const band = new BandPass(SAMPLE_RATE);
  const out = new Float32Array(N);
  let phase = 0;
  let period = SAMPLE_RATE / f0[0]!;
  let pulseAmp = 1;
  let gPrev = 0;
  let tilted = 0;
  for (let i = 0; i < N; i++) {
    const m = Math.floor(i / MS);
    if (i % MS === 0) {
      for (let j = 0; j < 3; j++) cascade[j]!.set(tr.f[j]![m]!, tr.bw[j]![m]!);
      if (tr.zero[m]! > 0) anti.set(tr.zero[m]!, 150);
      if (tr.af[m]! > 0) band.set(tr.fc[m]!, tr.fw[m]!);
    }
    if (phase >= period) {
      phase -= period;
      period = SAMPLE_RATE / (f0[m]! * (1 + spk.jitter * rng.normal()));
      pulseAmp = 1 + spk.shimmer * rng.normal();
    }
    // Rosenberg glottal pulse (40% opening, 16% closing), differentiated for lip radiation.
    const open = 0.4 * period;
    const close = 0.16 * period;
    const g = phase < open ? 0.5 * (1 - Math.cos((Math.PI * phase) / open)) : phase < open + close ? Math.cos((Math.PI / 2) * ((phase - open) / close)) : 0;
    phase += 1;
    const dg = (g - gPrev) * pulseAmp;
    gPrev = g;
    tilted = (1 - spk.tilt) * dg + spk.tilt * tilted;
    const av = tr.av[m]!;
    const ah = tr.ah[m]! + spk.breath * av * (g > 0 ? 1 : 0.3);
    let x = voiceGain(f0[m]!) * av * tilted + (ah > 0 ? ah * white(rng) : 0);
    for (const r of cascade) x = r.step(x);
    const nz = anti.step(x);
    if (tr.zero[m]! > 0) x = nz;
    // Per-sample noise through the band-pass has power width*pi/fs; undo it so `af` is the band's RMS.
    const af = tr.af[m]!;
    if (af > 0) x += (af / Math.sqrt((Math.PI * tr.fw[m]!) / SAMPLE_RATE)) * band.step(white(rng));
    else band.step(0);
    out[i] = x;
  }
  addNoise({ out, ms, phones: o.phones, snrDb: o.snrDb, colour: o.noise, rng });
  return { samples: out, phones: Int32Array.from(o.phones), bounds: Int32Array.from(ms, (v) => v * MS) };
}

/** Scales speech to an RMS of 0.1 over its non-silent segments, adds noise at the SNR, clips. */
function addNoise(o: { out: Float32Array; ms: Int32Array; phones: readonly number[]; snrDb: number | null; colour: NoiseColour; rng: Rng }): void {
  const { out } = o;
  let power = 0;
  let count = 0;
  o.phones.forEach((p, i) => {
    if (p === SIL) return;
    for (let s = o.ms[i]! * MS; s < o.ms[i + 1]! * MS; s++) power += out[s]! * out[s]!;
    count += (o.ms[i + 1]! - o.ms[i]!) * MS;
  });
  const scale = power > 0 ? 0.1 / Math.sqrt(power / count) : 1;
  const noiseStd = o.snrDb === null ? 0 : 0.1 * dbToGain(-o.snrDb);
  const pink = o.snrDb !== null && o.colour === 'pink' ? pinkNoise(out.length, o.rng) : null;
  for (let i = 0; i < out.length; i++) {
    const n = noiseStd === 0 ? 0 : noiseStd * (pink ? pink[i]! : o.rng.normal());
    out[i] = Math.max(-1, Math.min(1, out[i]! * scale + n));
  }
}
