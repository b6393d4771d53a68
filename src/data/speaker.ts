// Synthetic speakers: the voice and vocal-tract parameters the synthesizer reads, drawn at random
// so that short vocal tracts go with high voices, and the pitch contour of an utterance.
// No accents or speaking styles beyond rate, breathiness and spectral tilt.
import type { Rng } from '../util/rng.js';

export interface Speaker {
  id: number;
  /** Mean pitch in Hz. */
  f0: number;
  /** Vocal-tract scale: every formant and noise band is multiplied by it (1 = adult male). */
  tract: number;
  /** The speaker's own deviations of F1, F2, F3 from the scaled targets (factors near 1): vocal
   *  tracts differ in shape as well as length. */
  formants: [number, number, number];
  /** Duration multiplier (> 1 speaks slower). */
  rate: number;
  /** Relative standard deviations of the pitch period and of the pulse amplitude. */
  jitter: number;
  shimmer: number;
  /** Aspiration noise mixed into voicing (breathy voice). */
  breath: number;
  /** One-pole low-pass on the glottal source (steeper spectral tilt), 0..0.6. */
  tilt: number;
}

/** A random speaker: tract length and pitch are drawn together, so short tracts speak higher. */
export function drawSpeaker(rng: Rng, id: number): Speaker {
  const size = rng.uniform(); // 0 = long vocal tract, 1 = short
  return {
    id,
    tract: 0.9 + 0.32 * size + rng.normal(0, 0.02),
    formants: [1 + rng.normal(0, 0.05), 1 + rng.normal(0, 0.05), 1 + rng.normal(0, 0.04)],
    f0: (95 + 125 * size) * Math.exp(rng.normal(0, 0.1)),
    rate: 0.85 + 0.35 * rng.uniform(),
    jitter: 0.005 + 0.015 * rng.uniform(),
    shimmer: 0.02 + 0.06 * rng.uniform(),
    breath: 0.005 + 0.055 * rng.uniform(),
    tilt: 0.6 * rng.uniform(),
  };
}

/** The pitch contour in Hz per ms: a declining line with two slow random wobbles. */
export function pitchTrack(n: number, f0: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  const waves = [0, 1].map(() => ({ period: 400 + 800 * rng.uniform(), phase: 2 * Math.PI * rng.uniform(), depth: 0.05 * rng.uniform() }));
  for (let m = 0; m < n; m++) {
    let v = 1.1 - (0.2 * m) / Math.max(1, n);
    for (const w of waves) v *= 1 + w.depth * Math.sin((2 * Math.PI * m) / w.period + w.phase);
    out[m] = f0 * v;
  }
  return out;
}
