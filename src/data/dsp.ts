// Small digital filters and signal helpers for the formant synthesizer: two-pole resonators and
// antiresonators (Klatt 1980), a constant-peak band-pass, box smoothing and pink noise.
// Sample-by-sample state lives in the objects; nothing here knows about phones or speakers.
import FFT from 'fft.js';
import type { Rng } from '../util/rng.js';

/** Two-pole resonator with unity gain at 0 Hz: y[n] = a x[n] + b y[n-1] + c y[n-2]. A cascade of
 *  them gives vowel spectra whose formant amplitudes follow from the frequencies alone. */
export class Resonator {
  protected a = 1;
  protected b = 0;
  protected c = 0;
  private y1 = 0;
  private y2 = 0;
  constructor(protected readonly sampleRate: number) {}

  set(freq: number, bandwidth: number): void {
    const T = 1 / this.sampleRate;
    const r = Math.exp(-Math.PI * bandwidth * T);
    this.c = -r * r;
    this.b = 2 * r * Math.cos(2 * Math.PI * freq * T);
    this.a = 1 - this.b - this.c;
  }

  step(x: number): number {
    const y = this.a * x + this.b * this.y1 + this.c * this.y2;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

/** The inverse of a resonator (a pair of zeros), for the nasal antiformant. */
export class AntiResonator extends Resonator {
  private x1 = 0;
  private x2 = 0;
  override step(x: number): number {
    const y = (x - this.b * this.x1 - this.c * this.x2) / this.a;
    this.x2 = this.x1;
    this.x1 = x;
    return y;
  }
}

/** Band-pass biquad with 0 dB gain at its centre, so a noise band's level is set directly. */
export class BandPass {
  private b0 = 0;
  private a1 = 0;
  private a2 = 0;
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;
  constructor(private readonly sampleRate: number) {}

  set(centre: number, width: number): void {
    const w0 = (2 * Math.PI * centre) / this.sampleRate;
    const q = Math.max(centre / Math.max(width, 1), 0.3);
    const alpha = Math.sin(w0) / (2 * q);
    const a0 = 1 + alpha;
    this.b0 = alpha / a0;
    this.a1 = (-2 * Math.cos(w0)) / a0;
    this.a2 = (1 - alpha) / a0;
  }

  step(x: number): number {
    const y = this.b0 * (x - this.x2) - this.a1 * this.y1 - this.a2 * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

/** Centred moving average of width `width` (odd), edges clamped; returns a new array. */
export function boxSmooth(x: Float32Array, width: number): Float32Array {
  const n = x.length;
  const half = Math.floor(width / 2);
  const out = new Float32Array(n);
  if (n === 0) return out;
  let sum = 0;
  const at = (i: number) => x[Math.min(n - 1, Math.max(0, i))]!;
  for (let i = -half; i <= half; i++) sum += at(i);
  for (let i = 0; i < n; i++) {
    out[i] = sum / (2 * half + 1);
    sum += at(i + half + 1) - at(i - half);
  }
  return out;
}

/** Gaussian noise with power spectral density proportional to 1/f (pink), unit variance, made by
 *  shaping white noise in the frequency domain; the 0 Hz bin is dropped. */
export function pinkNoise(n: number, rng: Rng): Float32Array {
  let size = 4;
  while (size < n) size *= 2;
  const fft = new FFT(size);
  const spec = fft.createComplexArray() as number[];
  // Independent complex Gaussians per bin, scaled by f^-1/2, then mirrored to a real signal.
  for (let k = 1; k <= size / 2; k++) {
    const g = 1 / Math.sqrt(k);
    spec[2 * k] = rng.normal() * g;
    spec[2 * k + 1] = k === size / 2 ? 0 : rng.normal() * g;
  }
  for (let k = size / 2 + 1; k < size; k++) {
    spec[2 * k] = spec[2 * (size - k)]!;
    spec[2 * k + 1] = -spec[2 * (size - k) + 1]!;
  }
  const time = fft.createComplexArray() as number[];
  fft.inverseTransform(time, spec);
  const out = new Float32Array(n);
  let power = 0;
  for (let i = 0; i < n; i++) {
    out[i] = time[2 * i]!;
    power += out[i]! * out[i]!;
  }
  const scale = power > 0 ? 1 / Math.sqrt(power / n) : 0;
  for (let i = 0; i < n; i++) out[i]! *= scale;
  return out;
}

export const dbToGain = (db: number): number => Math.pow(10, db / 20);
