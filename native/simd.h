// Register-blocked matrix products and branch-free activations. Portable vector extensions
// and plain loops, no intrinsics: -O3 -march=native picks the local CPU's SIMD width.
// No allocation: callers own every buffer. parallel() runs a caller's parts on threads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace irnn {

// Subnormal floats (below 1.2e-38) appear when gradients decay over hundreds of steps, and x86
// CPUs take a slow microcode path for each one. Kernels flush them to zero (FTZ/DAZ) while they
// run, as deep learning libraries do, and restore the caller's mode.
#if defined(__SSE__) || defined(_M_X64)
static inline unsigned flush_subnormals() {
  const unsigned saved = _mm_getcsr();
  _mm_setcsr(saved | 0x8040);
  return saved;
}
static inline void restore_fp_mode(unsigned saved) { _mm_setcsr(saved); }
#else
static inline unsigned flush_subnormals() { return 0; }
static inline void restore_fp_mode(unsigned) {}
#endif

// Runs fn(p) for p = 0..n-1, parts 1.. on their own threads (each flushing subnormals; the
// caller's part runs in the caller's mode).
template <typename Fn>
static inline void parallel(int n, Fn fn) {
  std::vector<std::thread> pool;
  for (int p = 1; p < n; ++p)
    pool.emplace_back([&fn, p] {
      const unsigned saved = flush_subnormals();
      fn(p);
      restore_fp_mode(saved);
    });
  fn(0);
  for (auto& t : pool) t.join();
}

#if defined(__AVX512F__)
constexpr int kVec = 16;
#elif defined(__AVX__)
constexpr int kVec = 8;
#else
constexpr int kVec = 4;
#endif
// Rows of C per register tile (each row holds one or two vector registers of columns).
constexpr int kMR = kVec == 16 ? 8 : 4;

// GCC/Clang vector extension: one SIMD register of kVec floats. Unaligned access goes through
// memcpy, which compiles to a single unaligned load or store.
typedef float vf __attribute__((vector_size(kVec * sizeof(float))));
static inline vf loadu(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline void storeu(float* p, vf v) { std::memcpy(p, &v, sizeof v); }

// One tile: C[MR, NV*kVec] = X + op(A)[MR, K] @ B[K, NV*kVec], accumulators held in registers;
// X is C itself for an accumulating product, or the input projections so they need no copy.
// TransA means A is stored [K, M] (lda = row stride of that storage), which is how the weight
// gradient reads the states (h^T @ dpre). With skip > 0 the tile overlaps columns an earlier
// tile already covered: it starts from zero and writes only its last kVec - skip columns.
template <bool TransA, int MR, int NV>
static inline void tile(int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                        const float* X, int ldx, int skip) {
  vf acc[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = skip ? vf{} : loadu(X + (size_t)i * ldx + v * kVec);
  for (int k = 0; k < K; ++k) {
    vf b[NV];
    for (int v = 0; v < NV; ++v) b[v] = loadu(B + (size_t)k * ldb + v * kVec);
    for (int i = 0; i < MR; ++i) {
      const float a = TransA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
      for (int v = 0; v < NV; ++v) acc[i][v] += a * b[v];
    }
  }
  for (int i = 0; i < MR; ++i) {
    float* c = C + (size_t)i * ldc;
    if (!skip) {
      for (int v = 0; v < NV; ++v) storeu(c + v * kVec, acc[i][v]);
    } else {
      float tmp[kVec];
      storeu(tmp, acc[i][0]);
      const float* x = X + (size_t)i * ldx;
      for (int j = skip; j < kVec; ++j) c[j] = x[j] + tmp[j];
    }
  }
}

// One block of MR rows across all N columns: two-register tiles, then one-register tiles,
// then the ragged end as an overlapping one-register tile (N >= kVec is required).
template <bool TransA, int MR>
static inline void row_block(int N, int K, const float* A, int lda, const float* B, int ldb,
                             float* C, int ldc, const float* X, int ldx) {
  int j0 = 0;
  for (; j0 + 2 * kVec <= N; j0 += 2 * kVec)
    tile<TransA, MR, 2>(K, A, lda, B + j0, ldb, C + j0, ldc, X + j0, ldx, 0);
  for (; j0 + kVec <= N; j0 += kVec) tile<TransA, MR, 1>(K, A, lda, B + j0, ldb, C + j0, ldc, X + j0, ldx, 0);
  if (j0 < N) {
    const int start = N - kVec;
    tile<TransA, MR, 1>(K, A, lda, B + start, ldb, C + start, ldc, X + start, ldx, j0 - start);
  }
}

// Rows i0.. of the product in blocks of MR (a full-size block, or the leftover rows).
template <bool TransA, int MR>
static inline int rows_of(int i0, int M, int N, int K, const float* A, int lda, const float* B,
                          int ldb, float* C, int ldc, const float* X, int ldx) {
  for (; i0 + MR <= M; i0 += MR) {
    const float* a = TransA ? A + i0 : A + (size_t)i0 * lda;
    row_block<TransA, MR>(N, K, a, lda, B, ldb, C + (size_t)i0 * ldc, ldc, X + (size_t)i0 * ldx, ldx);
  }
  return i0;
}

// C[M, N] = X + op(A)[M, K] @ B[K, N], all row-major with explicit row strides; X may be C.
template <bool TransA>
static inline void gemm(int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                        float* C, int ldc, const float* X, int ldx) {
  if (N < kVec) {  // tiny layers: plain loops, same summation order over k
    for (int i = 0; i < M; ++i) {
      float* c = C + (size_t)i * ldc;
      if (c != X + (size_t)i * ldx) std::memcpy(c, X + (size_t)i * ldx, sizeof(float) * N);
      for (int k = 0; k < K; ++k) {
        const float a = TransA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
        for (int j = 0; j < N; ++j) c[j] += a * B[(size_t)k * ldb + j];
      }
    }
    return;
  }
  int i0 = rows_of<TransA, kMR>(0, M, N, K, A, lda, B, ldb, C, ldc, X, ldx);
  i0 = rows_of<TransA, 4>(i0, M, N, K, A, lda, B, ldb, C, ldc, X, ldx);
  i0 = rows_of<TransA, 2>(i0, M, N, K, A, lda, B, ldb, C, ldc, X, ldx);
  rows_of<TransA, 1>(i0, M, N, K, A, lda, B, ldb, C, ldc, X, ldx);
}

// C[M, N] += op(A)[M, K] @ B[K, N].
template <bool TransA>
static inline void gemm_acc(int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                            float* C, int ldc) {
  gemm<TransA>(M, N, K, A, lda, B, ldb, C, ldc, C, ldc);
}

// C[M, N] += A^T @ B with A stored [K, M] and K large (a sum over every step and row): K is
// cut into chunks so that the rows of A and B a chunk touches stay in cache across C's tiles.
static inline void gemm_tn_chunked(int M, int N, long K, const float* A, int lda, const float* B,
                                   int ldb, float* C, int ldc) {
  const long chunk = 128;
  for (long k0 = 0; k0 < K; k0 += chunk) {
    const int kc = (int)(K - k0 < chunk ? K - k0 : chunk);
    gemm_acc<true>(M, N, kc, A + (size_t)k0 * lda, lda, B + (size_t)k0 * ldb, ldb, C, ldc);
  }
}

// C[M, N] = A[M, K] @ B[N, K]^T as dot products along contiguous rows: the shape of a
// gradient with respect to a narrow input (N = 1 or 2 features), where tiles would be empty.
static inline void gemm_nt_dot(int M, int N, int K, const float* A, int lda, const float* B,
                               int ldb, float* C, int ldc) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      const float* a = A + (size_t)i * lda;
      const float* b = B + (size_t)j * ldb;
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int k = 0; k < K; ++k) s += a[k] * b[k];
      C[(size_t)i * ldc + j] = s;
    }
}

// Column sums: out[N] = sum over rows of X[rows, N].
static inline void column_sums(long rows, int N, const float* X, float* out) {
  std::memset(out, 0, sizeof(float) * N);
  for (long k = 0; k < rows; ++k) {
    const float* x = X + (size_t)k * N;
    for (int j = 0; j < N; ++j) out[j] += x[j];
  }
}

// The core of e^x for a float or a vector of floats (x already clamped to float range): n =
// round(x / ln2) and the degree-7 Taylor polynomial of e^r, r = x - n ln2 with |r| <= ln2/2
// (truncation error below 1e-8 relative). The caller scales by 2^n from the exponent bits.
template <typename V>
static inline __attribute__((always_inline)) V exp_core(V x, V& n) {
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  n = (x * 1.44269504088896341f + shifter) - shifter;
  V r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187045e-06f;
  V p = V{} + 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  return p;
}

// e^x for x in float range: exp_core, times 2^n built from the exponent bits.
static inline __attribute__((always_inline)) float exp_f(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  float n;
  const float p = exp_core(x, n);
  const int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

static inline __attribute__((always_inline)) float sigmoid_f(float x) { return 1.0f / (1.0f + exp_f(-x)); }

// tanh with small relative error everywhere: odd Taylor series near 0 (where 1 - 2/(e^2x + 1)
// would cancel), the exponential form elsewhere. Both are computed so the select vectorises.
static inline __attribute__((always_inline)) float tanh_f(float x) {
  const float a = x < 0 ? -x : x;
  const float a2 = a * a;
  float p = -1382.0f / 155925.0f;
  p = p * a2 + 62.0f / 2835.0f;
  p = p * a2 - 17.0f / 315.0f;
  p = p * a2 + 2.0f / 15.0f;
  p = p * a2 - 1.0f / 3.0f;
  p = p * a2 * a + a;
  const float q = 1.0f - 2.0f / (exp_f(2.0f * a) + 1.0f);
  const float y = a < 0.3f ? p : q;
  return x < 0 ? -y : y;
}

}  // namespace irnn
