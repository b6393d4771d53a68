// Seeded pseudo-random numbers for data generation and initialisation (xoshiro128**).
// Deterministic across platforms: the same seed gives the same stream everywhere.
// Not cryptographic; not used for anything but reproducible experiments.

/** Mixes a 32-bit seed (and an optional stream label) into a well-spread 32-bit state word. */
function splitmix32(a: number): () => number {
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return t >>> 0;
  };
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export interface RngState {
  s: number[];
  spare: number | null;
}

export class Rng {
  private s: Uint32Array;
  private spare: number | null = null;

  /** `stream` derives an independent generator from the same seed (e.g. "test-set", "init"). */
  constructor(seed: number, stream = '') {
    const mix = splitmix32((seed >>> 0) ^ hashString(stream));
    this.s = new Uint32Array([mix(), mix(), mix(), mix()]);
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** The generator's whole position (state words and the cached normal), for checkpoints. */
  getState(): RngState {
    return { s: Array.from(this.s), spare: this.spare };
  }

  /** Puts the generator back where `getState` found it: the same numbers follow. */
  setState(st: RngState): void {
    if (st.s.length !== 4 || st.s.every((v) => v === 0)) throw new Error('rng: invalid state');
    this.s = Uint32Array.from(st.s);
    this.spare = st.spare;
  }

  /** A new generator derived from this one's seed material and a label. */
  fork(label: string): Rng {
    return new Rng(this.nextU32() ^ hashString(label), label);
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return mean + std * v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array | Float32Array): typeof a {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i]!;
      a[i] = a[j]!;
      a[j] = tmp;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }

  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  fillUniform(out: Float32Array, lo = 0, hi = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
