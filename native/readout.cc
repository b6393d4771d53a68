// The fused softmax cross-entropy readout (readout.h). W is first copied into strips of kNR
// columns ([F][kNR] each, contiguous) and their transposes, so every product streams one
// contiguous panel through registers (no cache-set conflicts from long row strides). Each
// thread then takes a share of the rows, kRows at a time: the block's logits for all V columns
// (kRows x V floats stay in L2), log-sum-exp and loss per row, dlogits = softmax - onehot in
// place, and from it the block's dX and its share of dW and dc, column chunk by column chunk.
// The weight gradient is summed over threads at the end.
#include "readout.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

#include "simd.h"

namespace irnn {
namespace {

constexpr int kNR = 2 * kVec;  // columns per strip: two SIMD registers
constexpr int kMR = kVec == 16 ? 12 : 6;  // rows per register tile: 2 x kMR accumulators
constexpr int kRows = 32;  // rows per block: kRows x V logits (1.3 MB at V = 10,000), about L2
constexpr int kChunk = 256;    // columns per chunk of the gradient products (a multiple of kNR)

// Runs fn(part) for part = 0..n-1, parts 1.. on their own threads, subnormals flushed in each
// (as the recurrence kernels do; the caller's mode is restored).
template <typename Fn>
void parallel(int n, Fn fn) {
  auto run = [&fn](int p) {
#if defined(__SSE__) || defined(_M_X64)
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040);
    fn(p);
    _mm_setcsr(saved);
#else
    fn(p);
#endif
  };
  std::vector<std::thread> pool;
  for (int p = 1; p < n; ++p) pool.emplace_back(run, p);
  run(0);
  for (auto& t : pool) t.join();
}

// C[MR, kNR] = init + op(A)[MR, K] @ Bs[K, kNR], Bs a strip with row stride ldb. op(A) row i,
// column k is A[i*lda + k], or A[k*lda + i] when TransA. init: C itself (Acc), or the row
// vector X on every row (Row).
enum class Init { Acc, Row };
template <bool TransA, int MR>
inline void strip_tile(int K, const float* A, int lda, const float* Bs, int ldb, float* C, int ldc,
                       Init init, const float* X) {
  vf acc[MR][2];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < 2; ++v)
      acc[i][v] = init == Init::Acc ? loadu(C + (size_t)i * ldc + v * kVec) : loadu(X + v * kVec);
  for (int k = 0; k < K; ++k) {
    const vf b0 = loadu(Bs + (size_t)k * ldb), b1 = loadu(Bs + (size_t)k * ldb + kVec);
    for (int i = 0; i < MR; ++i) {
      const float a = TransA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
      acc[i][0] += a * b0;
      acc[i][1] += a * b1;
    }
  }
  for (int i = 0; i < MR; ++i) {
    storeu(C + (size_t)i * ldc, acc[i][0]);
    storeu(C + (size_t)i * ldc + kVec, acc[i][1]);
  }
}

// The last rows of a strip product: one tile of exactly `rem` (< R + 1) rows.
template <bool TransA, int R>
inline void strip_tail(int rem, int K, const float* A, int lda, const float* Bs, int ldb, float* C,
                       int ldc, Init init, const float* X) {
  if (rem == R) return strip_tile<TransA, R>(K, A, lda, Bs, ldb, C, ldc, init, X);
  if constexpr (R > 1) strip_tail<TransA, R - 1>(rem, K, A, lda, Bs, ldb, C, ldc, init, X);
}

// Rows 0..M-1 of one strip product: register tiles of kMR rows, then one tile of the rest.
template <bool TransA>
inline void strip_rows(int M, int K, const float* A, int lda, const float* Bs, int ldb, float* C,
                       int ldc, Init init, const float* X) {
  int i = 0;
  auto at = [&](int row) { return TransA ? A + row : A + (size_t)row * lda; };
  for (; i + kMR <= M; i += kMR) strip_tile<TransA, kMR>(K, at(i), lda, Bs, ldb, C + (size_t)i * ldc, ldc, init, X);
  if (i < M) strip_tail<TransA, kMR - 1>(M - i, K, at(i), lda, Bs, ldb, C + (size_t)i * ldc, ldc, init, X);
}

// The packed operands, padded to whole strips with zeros: Ws [Vp/kNR][F][kNR] (strip s holds
// columns s*kNR.. of W), cs [Vp] and WTs [Fp/kNR][V][kNR] (strip t holds rows t*kNR.. of W as
// columns). Vp, Fp: V and F rounded up to kNR.
struct Packed {
  int F, V, Fp, Vp;
  std::vector<float> Ws, cs, WTs;
};

void pack_strips(const Readout& r, Packed& p, int s0, int s1) {
  const int F = r.F, V = r.V;
  for (int s = s0; s < s1; ++s) {
    const int j0 = s * kNR, n = std::min(kNR, V - j0);
    float* out = p.Ws.data() + (size_t)s * F * kNR;
    for (int f = 0; f < F; ++f) {
      std::memcpy(out + (size_t)f * kNR, r.W + (size_t)f * V + j0, sizeof(float) * n);
      std::memset(out + (size_t)f * kNR + n, 0, sizeof(float) * (kNR - n));
    }
  }
}

void pack_transposed(const Readout& r, Packed& p, int t0, int t1) {
  const int F = r.F, V = r.V;
  for (int t = t0; t < t1; ++t) {
    float* out = p.WTs.data() + (size_t)t * V * kNR;
    for (int i = 0; i < kNR; ++i) {
      const int f = t * kNR + i;
      if (f >= F) {
        for (int v = 0; v < V; ++v) out[(size_t)v * kNR + i] = 0.0f;
        continue;
      }
      const float* w = r.W + (size_t)f * V;
      for (int v = 0; v < V; ++v) out[(size_t)v * kNR + i] = w[v];
    }
  }
}

// One row's log-sum-exp and loss; with grad, z becomes weight * (softmax(z) - onehot(y)).
double row_loss(float* __restrict z, int V, int y, float weight, bool grad) {
  float m = z[0];
#pragma omp simd reduction(max : m)
  for (int v = 1; v < V; ++v) m = z[v] > m ? z[v] : m;
  const float zy = z[y];
  float s = 0.0f;
  if (grad) {
#pragma omp simd reduction(+ : s)
    for (int v = 0; v < V; ++v) {
      const float e = exp_f(z[v] - m);
      z[v] = e;
      s += e;
    }
    const float scale = weight / s;
#pragma omp simd
    for (int v = 0; v < V; ++v) z[v] *= scale;
    z[y] -= weight;
  } else {
#pragma omp simd reduction(+ : s)
    for (int v = 0; v < V; ++v) s += exp_f(z[v] - m);
  }
  return (double)weight * ((double)m + std::log((double)s) - (double)zy);
}

// A worker's buffers: Z [kRows, Vp] logits of a block, dXb [kRows, Fp], and the weight and bias
// gradients it accumulates, dWs in the strip layout of Ws and dc [Vp].
struct Worker {
  std::vector<float> Z, dXb, dWs, dc;
};

// Rows r0..r1 of the batch.
double rows(const Readout& r, const Packed& p, Worker& w, int r0, int r1, bool grad) {
  const int F = r.F, V = r.V, Vp = p.Vp, Fp = p.Fp;
  const int strips = Vp / kNR;
  double loss = 0.0;
  for (int b0 = r0; b0 < r1; b0 += kRows) {
    const int nb = std::min(kRows, r1 - b0);
    const float* Xb = r.X + (size_t)b0 * F;
    float* Z = w.Z.data();
    for (int s = 0; s < strips; ++s)  // logits + c
      strip_rows<false>(nb, F, Xb, F, p.Ws.data() + (size_t)s * F * kNR, kNR, Z + s * kNR, Vp, Init::Row,
                        p.cs.data() + s * kNR);
    for (int i = 0; i < nb; ++i)
      loss += row_loss(Z + (size_t)i * Vp, V, r.y[b0 + i], r.weight ? r.weight[b0 + i] : 1.0f, grad);
    if (!grad) continue;
    for (int i = 0; i < nb; ++i) std::memset(Z + (size_t)i * Vp + V, 0, sizeof(float) * (Vp - V));
    float* dXb = w.dXb.data();
    std::memset(dXb, 0, sizeof(float) * kRows * Fp);
    for (int j0 = 0; j0 < Vp; j0 += kChunk) {
      const int vc = std::min(kChunk, Vp - j0);
      const float* dZ = Z + j0;  // [nb, vc], row stride Vp
      for (int t = 0; t < Fp / kNR; ++t)  // dX += dZ W^T
        strip_rows<false>(nb, std::min(vc, V - j0), dZ, Vp, p.WTs.data() + ((size_t)t * V + j0) * kNR, kNR,
                          dXb + t * kNR, Fp, Init::Acc, nullptr);
      for (int s = j0 / kNR; s < (j0 + vc) / kNR; ++s)  // dW += X^T dZ
        strip_rows<true>(F, nb, Xb, F, dZ + (s * kNR - j0), Vp, w.dWs.data() + (size_t)s * F * kNR, kNR,
                         Init::Acc, nullptr);
      float* d = w.dc.data() + j0;
      for (int i = 0; i < nb; ++i) {
        const float* z = dZ + (size_t)i * Vp;
#pragma omp simd
        for (int v = 0; v < vc; ++v) d[v] += z[v];
      }
    }
    for (int i = 0; i < nb; ++i) std::memcpy(r.dX + (size_t)(b0 + i) * F, dXb + (size_t)i * Fp, sizeof(float) * F);
  }
  return loss;
}

// Scratch kept between calls (one set per calling thread), so steady-state training allocates
// nothing large.
struct Scratch {
  Packed p;
  std::vector<Worker> workers;
};

}  // namespace

double softmax_xent(const Readout& r, int threads) {
  const int F = r.F, V = r.V;
  const bool grad = r.dX != nullptr;
  const int blocks = (r.N + kRows - 1) / kRows;
  threads = std::max(1, std::min(threads, blocks));
  thread_local Scratch tls;
  Scratch& s = tls;  // the caller's set: inside the workers `tls` would name their own
  Packed& p = s.p;
  p.F = F, p.V = V, p.Fp = (F + kNR - 1) / kNR * kNR, p.Vp = (V + kNR - 1) / kNR * kNR;
  const int strips = p.Vp / kNR, fstrips = p.Fp / kNR;
  p.Ws.resize((size_t)p.Vp * F);
  p.cs.assign(p.Vp, 0.0f);
  std::memcpy(p.cs.data(), r.c, sizeof(float) * V);
  p.WTs.resize(grad ? (size_t)p.Fp * V : 0);
  s.workers.resize(threads);
  std::vector<double> loss(threads, 0.0);
  parallel(threads, [&](int t) {
    pack_strips(r, p, strips * t / threads, strips * (t + 1) / threads);
    if (grad) pack_transposed(r, p, fstrips * t / threads, fstrips * (t + 1) / threads);
    Worker& w = s.workers[t];
    w.Z.resize((size_t)kRows * p.Vp);
    if (grad) {
      w.dXb.resize((size_t)kRows * p.Fp);
      w.dWs.assign((size_t)p.Vp * F, 0.0f);
      w.dc.assign(p.Vp, 0.0f);
    }
  });
  parallel(threads, [&](int t) {
    const int r0 = (int)((long)blocks * t / threads) * kRows;
    const int r1 = std::min(r.N, (int)((long)blocks * (t + 1) / threads) * kRows);
    loss[t] = rows(r, p, s.workers[t], r0, r1, grad);
  });
  if (grad) {
    // dW [F, V] and dc: the workers' accumulators summed, back in row-major layout.
    parallel(threads, [&](int t) {
      for (int sI = strips * t / threads; sI < strips * (t + 1) / threads; ++sI) {
        const int j0 = sI * kNR, n = std::min(kNR, V - j0);
        for (int f = 0; f < F; ++f) {
          float* out = r.dW + (size_t)f * V + j0;
          const size_t at = ((size_t)sI * F + f) * kNR;
          std::memcpy(out, s.workers[0].dWs.data() + at, sizeof(float) * n);
          for (int u = 1; u < threads; ++u)
            for (int v = 0; v < n; ++v) out[v] += s.workers[u].dWs[at + v];
        }
        for (int v = j0; v < j0 + n; ++v) {
          float sum = 0.0f;
          for (int u = 0; u < threads; ++u) sum += s.workers[u].dc[v];
          r.dc[v] = sum;
        }
      }
    });
  }
  double total = 0.0;
  for (double l : loss) total += l;
  return total;
}

// CPU time of the calling thread, in seconds (wall time where the clock is missing).
double thread_seconds() {
#ifdef CLOCK_THREAD_CPUTIME_ID
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
#else
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
#endif
}

Peak fma_peak(int threads, long iters) {
  constexpr int kChains = 16;  // independent accumulators: more than FMA latency x FMA units
  std::vector<double> wall(threads, 0.0), cpu(threads, 0.0);
  std::vector<float> sink(threads, 0.0f);
  parallel(threads, [&](int p) {
    vf acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = vf{} + 0.001f * (float)(i + p);
    vf a = vf{} + 0.999999f, b = vf{} + 1e-7f;
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_seconds();
    for (long n = 0; n < iters; ++n) {
      for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * a + b;
      // An empty asm that may change a keeps the compiler from folding the loop away.
      __asm__ volatile("" : "+x"(a));
    }
    cpu[p] = thread_seconds() - c0;
    wall[p] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    float sum = 0.0f;
    for (int i = 0; i < kChains; ++i) sum += acc[i][0];
    sink[p] = sum;
  });
  volatile float keep = sink[0];
  (void)keep;
  const double flops = 2.0 * kChains * kVec * (double)iters;  // per thread
  double cpu_total = 0.0;
  for (double c : cpu) cpu_total += c;
  return {flops * threads / *std::max_element(wall.begin(), wall.end()) / 1e9, flops * threads / cpu_total / 1e9};
}

}  // namespace irnn
