// Log-mel filterbank features: 25 ms Hamming windows every 10 ms, 512-point FFT (fft.js), 40
// triangular mel filters from 0 Hz to Nyquist, natural log, optional deltas and delta-deltas,
// then per-utterance mean/variance normalisation. Knows nothing of phones or labels.
import FFT from 'fft.js';
import { SAMPLE_RATE } from './synth.js';

export const FRAME_LENGTH = 400; // 25 ms at 16 kHz
export const FRAME_HOP = 160; // 10 ms
export const FFT_SIZE = 512;
export const N_MELS = 40;
const PRE_EMPHASIS = 0.97;
const LOG_FLOOR = 1e-10;
const DELTA_WINDOW = 2;

export interface FeatureOptions {
  deltas: boolean;
  deltaDeltas: boolean;
}

/** Frames in an utterance of n samples: T = 1 + floor((n - 400) / 160), 0 if n < 400. Frame t
 *  covers samples [160 t, 160 t + 400) and is labelled by the sample at its centre, 160 t + 200. */
export function frameCount(nSamples: number): number {
  return nSamples < FRAME_LENGTH ? 0 : 1 + Math.floor((nSamples - FRAME_LENGTH) / FRAME_HOP);
}

export const frameCentre = (t: number): number => t * FRAME_HOP + FRAME_LENGTH / 2;

/** Size of a feature vector: 40 log-mel energies, +40 deltas, +40 delta-deltas. */
export function featureSize(o: FeatureOptions): number {
  return N_MELS * (1 + (o.deltas ? 1 : 0) + (o.deltas && o.deltaDeltas ? 1 : 0));
}

export const hzToMel = (f: number): number => 2595 * Math.log10(1 + f / 700);
export const melToHz = (m: number): number => 700 * (Math.pow(10, m / 2595) - 1);

/** [nMels, fftSize/2 + 1] triangular filters, equally spaced on the mel scale, peak weight 1. */
export function melFilterbank(o: { nMels: number; fftSize: number; sampleRate: number }): Float32Array[] {
  const bins = o.fftSize / 2 + 1;
  const top = hzToMel(o.sampleRate / 2);
  const edges = Array.from({ length: o.nMels + 2 }, (_, i) => melToHz((top * i) / (o.nMels + 1)));
  return Array.from({ length: o.nMels }, (_, m) => {
    const [lo, mid, hi] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
    const w = new Float32Array(bins);
    for (let k = 0; k < bins; k++) {
      const f = (k * o.sampleRate) / o.fftSize;
      w[k] = Math.max(0, Math.min((f - lo) / (mid - lo), (hi - f) / (hi - mid)));
    }
    return w;
  });
}

// Each filter as its non-zero span only: 40 dense rows would cost 20x more per frame.
const FILTERS = melFilterbank({ nMels: N_MELS, fftSize: FFT_SIZE, sampleRate: SAMPLE_RATE }).map((w) => {
  const first = w.findIndex((v) => v > 0);
  let last = w.length - 1;
  while (last > first && w[last] === 0) last--;
  return { first, weights: w.slice(first, last + 1) };
});
const HAMMING = Float64Array.from({ length: FRAME_LENGTH }, (_, n) => 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (FRAME_LENGTH - 1)));
const fft = new FFT(FFT_SIZE);

/** [T, 40] log mel energies of a 16 kHz signal. */
export function logMel(samples: Float32Array): Float32Array {
  const T = frameCount(samples.length);
  const out = new Float32Array(T * N_MELS);
  const input = new Float64Array(FFT_SIZE);
  const spec = fft.createComplexArray() as number[];
  const power = new Float64Array(FFT_SIZE / 2 + 1);
  for (let t = 0; t < T; t++) {
    const s0 = t * FRAME_HOP;
    for (let n = 0; n < FRAME_LENGTH; n++) {
      const prev = s0 + n > 0 ? samples[s0 + n - 1]! : 0;
      input[n] = (samples[s0 + n]! - PRE_EMPHASIS * prev) * HAMMING[n]!;
    }
    fft.realTransform(spec, input);
    for (let k = 0; k <= FFT_SIZE / 2; k++) power[k] = spec[2 * k]! ** 2 + spec[2 * k + 1]! ** 2;
    for (let m = 0; m < N_MELS; m++) {
      const { first, weights } = FILTERS[m]!;
      let e = 0;
      for (let k = 0; k < weights.length; k++) e += weights[k]! * power[first + k]!;
      out[t * N_MELS + m] = Math.log(Math.max(e, LOG_FLOOR));
    }
  }
  return out;
}

/** [T, D] regression deltas over +-2 frames, edges repeated: d_t = sum_n n (c_{t+n} - c_{t-n}) / (2 sum_n n^2). */
export function deltas(x: Float32Array, T: number, D: number): Float32Array {
  const out = new Float32Array(T * D);
  let denom = 0;
  for (let n = 1; n <= DELTA_WINDOW; n++) denom += 2 * n * n;
  for (let t = 0; t < T; t++) {
    for (let d = 0; d < D; d++) {
      let acc = 0;
      for (let n = 1; n <= DELTA_WINDOW; n++) {
        const ahead = Math.min(T - 1, t + n);
        const behind = Math.max(0, t - n);
        acc += n * (x[ahead * D + d]! - x[behind * D + d]!);
      }
      out[t * D + d] = acc / denom;
    }
  }
  return out;
}

/** In place: every column of [T, D] to mean 0 and variance 1 (columns that are constant become 0). */
export function normalise(x: Float32Array, T: number, D: number): void {
  for (let d = 0; d < D; d++) {
    let mean = 0;
    for (let t = 0; t < T; t++) mean += x[t * D + d]!;
    mean /= T;
    let v = 0;
    for (let t = 0; t < T; t++) v += (x[t * D + d]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / T + 1e-8);
    for (let t = 0; t < T; t++) x[t * D + d] = (x[t * D + d]! - mean) * inv;
  }
}

/** [T, F] normalised features: log-mel, then deltas and delta-deltas when asked, side by side. */
export function computeFeatures(samples: Float32Array, o: FeatureOptions): { data: Float32Array; frames: number; size: number } {
  const T = frameCount(samples.length);
  const blocks = [logMel(samples)];
  if (o.deltas) blocks.push(deltas(blocks[0]!, T, N_MELS));
  if (o.deltas && o.deltaDeltas) blocks.push(deltas(blocks[1]!, T, N_MELS));
  const F = featureSize(o);
  const data = new Float32Array(T * F);
  blocks.forEach((b, i) => {
    for (let t = 0; t < T; t++) data.set(b.subarray(t * N_MELS, (t + 1) * N_MELS), t * F + i * N_MELS);
  });
  normalise(data, T, F);
  return { data, frames: T, size: F };
}
