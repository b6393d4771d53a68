// Register tiles of the sequence engine (seq.h), and the moves between row and lanes layouts.
// A tile holds MR output rows x NV batch vectors in registers for a whole product; GCC keeps the
// accumulators in registers only when every loop over them is unrolled, hence the pragmas.
#pragma once
#include <algorithm>
#include <thread>
#include <vector>

#include "simd.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace irnn {

// Accumulator registers a tile may use (AVX-512 has 32 vector registers, AVX2 16).
constexpr int kAccRegs = kVec == 16 ? 24 : 12;

#define IRNN_UNROLL _Pragma("GCC unroll 32")

// acc[i][v] += sum_{k<K} A[k*lda + i] * X[k*NV*kVec + v*kVec]: A broadcast (row k of a weight
// matrix, from the tile's first output column), X the [K][NV*kVec] lanes of one step.
template <int MR, int NV>
static inline __attribute__((always_inline)) void mac_lanes(int K, const float* __restrict A, long lda,
                                                            const float* __restrict X, vf (&acc)[MR][NV]) {
  for (int k = 0; k < K; ++k, A += lda, X += NV * kVec) {
    vf x[NV];
    IRNN_UNROLL for (int v = 0; v < NV; ++v) x[v] = loadu(X + v * kVec);
    IRNN_UNROLL for (int i = 0; i < MR; ++i) {
      const float a = A[i];
      IRNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] += a * x[v];
    }
  }
}

template <int MR, int NV>
static inline __attribute__((always_inline)) void fill_rows(const float* bias, vf (&acc)[MR][NV]) {
  IRNN_UNROLL for (int i = 0; i < MR; ++i) {
    const vf b = vf{} + (bias ? bias[i] : 0.0f);
    IRNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = b;
  }
}

template <int MR, int NV>
static inline __attribute__((always_inline)) void load_rows(const float* X, vf (&acc)[MR][NV]) {
  IRNN_UNROLL for (int i = 0; i < MR; ++i)
    IRNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = loadu(X + (i * NV + v) * kVec);
}

template <int MR, int NV>
static inline __attribute__((always_inline)) void store_rows(float* X, vf (&acc)[MR][NV]) {
  IRNN_UNROLL for (int i = 0; i < MR; ++i)
    IRNN_UNROLL for (int v = 0; v < NV; ++v) storeu(X + (i * NV + v) * kVec, acc[i][v]);
}

// Runs f.template run<mr>(r0, mr) over rows 0..n-1 in tiles of at most MAX rows, as even as
// possible (100 rows at MAX = 24: five tiles of 20, not four of 24 and one of 4).
template <int MAX, class F>
static inline void dispatch_rows(int mr, F& f, int r0) {
  if constexpr (MAX > 0) {
    if (mr == MAX) return f.template run<MAX>(r0);
    dispatch_rows<MAX - 1>(mr, f, r0);
  }
}
template <int MAX, class F>
static inline void tile_rows(int n, F& f) {
  const int tiles = (n + MAX - 1) / MAX;
  for (int k = 0, r0 = 0; k < tiles; ++k) {
    const int r1 = (int)((long)n * (k + 1) / tiles);
    dispatch_rows<MAX>(r1 - r0, f, r0);
    r0 = r1;
  }
}

// Weight-gradient tile: C[i][v] (rows q0+i, column vectors v of a [M][Np] matrix) += sum over the
// K = rows of a chunk of a(k)[i*AS] * D[k*ldd + v*kVec]. `a(k)` points at element (q0, k) of the
// broadcast operand (AS apart between rows): the states in lanes (AS = L) or input rows (AS = 1).
template <int MR, int NV, int AS, class APtr>
static inline __attribute__((always_inline)) void wgrad_tile(int K, APtr a, const float* __restrict D, long ldd,
                                                             float* __restrict C, long ldc) {
  vf acc[MR][NV];
  IRNN_UNROLL for (int i = 0; i < MR; ++i)
    IRNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = loadu(C + i * ldc + v * kVec);
  for (int k = 0; k < K; ++k, D += ldd) {
    const float* ak = a(k);
    vf d[NV];
    IRNN_UNROLL for (int v = 0; v < NV; ++v) d[v] = loadu(D + v * kVec);
    IRNN_UNROLL for (int i = 0; i < MR; ++i) {
      const float x = ak[i * AS];
      IRNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] += x * d[v];
    }
  }
  IRNN_UNROLL for (int i = 0; i < MR; ++i)
    IRNN_UNROLL for (int v = 0; v < NV; ++v) storeu(C + i * ldc + v * kVec, acc[i][v]);
}

// out[j*ldo + i] = in[i*ldi + j] for a 16 x 16 block: four rounds of in-register shuffles
// (64 instructions) instead of 256 scalar moves.
static inline void transpose16(const float* in, long ldi, float* out, long ldo) {
#if defined(__AVX512F__)
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(in + i * ldi);
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4)
    for (int k = 0; k < 2; ++k) {
      r[i + k] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + k]), _mm512_castps_pd(t[i + k + 2])));
      r[i + k + 2] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + k]), _mm512_castps_pd(t[i + k + 2])));
    }
  for (int i = 0; i < 16; i += 8)
    for (int k = 0; k < 4; ++k) {
      t[i + k] = _mm512_shuffle_f32x4(r[i + k], r[i + k + 4], 0x88);
      t[i + k + 4] = _mm512_shuffle_f32x4(r[i + k], r[i + k + 4], 0xdd);
    }
  for (int k = 0; k < 8; ++k) {
    r[k] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0x88);
    r[k + 8] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0xdd);
  }
  // r[k] now holds column c(k) of the block, in the order the rounds leave them.
  static constexpr int kCol[16] = {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15};
  for (int k = 0; k < 16; ++k) _mm512_storeu_ps(out + kCol[k] * ldo, r[k]);
#else
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) out[j * ldo + i] = in[i * ldi + j];
#endif
}

// out[c*ldo + r] = in[r*ldi + c] for r < R, c < C: whole 16 x 16 blocks by shuffles, the edges
// element by element.
static inline void transpose(const float* in, long ldi, int R, int C, float* out, long ldo) {
  int r0 = 0;
  for (; r0 + 16 <= R; r0 += 16) {
    int c0 = 0;
    for (; c0 + 16 <= C; c0 += 16) transpose16(in + r0 * ldi + c0, ldi, out + c0 * ldo + r0, ldo);
    for (int r = r0; r < r0 + 16; ++r)
      for (int c = c0; c < C; ++c) out[c * ldo + r] = in[r * ldi + c];
  }
  for (int r = r0; r < R; ++r)
    for (int c = 0; c < C; ++c) out[c * ldo + r] = in[r * ldi + c];
}

// n rows of W floats, `stride` apart (null: zeros), -> [W][L] lanes, lanes n..L zero.
static inline void rows_to_lanes(const float* first, long stride, int n, int W, int L, float* out) {
  if (first)
    transpose(first, stride, n, W, out, L);
  else
    for (int w = 0; w < W; ++w) std::memset(out + (long)w * L, 0, sizeof(float) * n);
  for (int w = 0; w < W; ++w) std::memset(out + (long)w * L + n, 0, sizeof(float) * (L - n));
}

// The same for rows anywhere (row(r) gives each, e.g. looked-up embedding rows): gathered into
// tmp [n][W] first.
template <class Row>
static inline void gather_to_lanes(Row row, int n, int W, int L, std::vector<float>& tmp, float* out) {
  tmp.resize((size_t)n * W);
  for (int r = 0; r < n; ++r) std::memcpy(tmp.data() + (size_t)r * W, row(r), sizeof(float) * W);
  rows_to_lanes(tmp.data(), W, n, W, L, out);
}

// Rows [R][L] in lanes -> rows of a row-major matrix: out[l*ldo + r] = in[r*L + l] for l < n.
static inline void lanes_to_rows(const float* in, int R, int L, int n, float* out, long ldo) {
  transpose(in, L, R, n, out, ldo);
}

// Runs fn(i) for every block i, blocks spread over `threads` threads (each flushing subnormals).
template <class F>
static inline void for_blocks(int n, int threads, F fn) {
  threads = std::max(1, std::min(threads, n));
  std::vector<std::thread> pool;
  for (int p = 1; p < threads; ++p)
    pool.emplace_back([&, p] {
      const unsigned saved = flush_subnormals();
      for (int i = p; i < n; i += threads) fn(i);
      restore_fp_mode(saved);
    });
  for (int i = 0; i < n; i += threads) fn(i);
  for (auto& th : pool) th.join();
}

}  // namespace irnn
