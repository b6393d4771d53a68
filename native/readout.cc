// The fused softmax cross-entropy readout (readout.h), in two passes over chunks of kVc columns,
// so that a chunk's weights (F x kVc floats, packed) stay in L2 while every row goes by:
//  1. the chunk's logits for all rows (one product), each row's running maximum and sum of
//     exponentials (the online log-sum-exp) and the target's logit: the loss, once all chunks
//     are done (evaluation stops here);
//  2. (gradients) the chunk's logits, dZ = weight * (softmax - onehot) in place, then
//     dX += dZ W_c^T, dW_c = X^T dZ and dc_c.
// Pass 2 reads the logits pass 1 kept when they fit Readout::keep_bytes per thread (lm_words,
// 32 x 35 rows and V = 10,000: 47 MB), and otherwise computes them again (a fourth product).
// A one-pass kernel over blocks of rows would have to stream W, W^T and dW once per block
// instead. Threads split the chunks (each keeps its rows' partial sums and its own dX, summed
// in thread order), so results differ between thread counts only by float rounding.
#include "readout.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "seq_tiles.h"
#include "simd.h"

namespace irnn {
namespace {

constexpr int kNV = 4;               // vectors per tile row
constexpr int kMR = kAccRegs / kNV;  // rows per tile (6 with AVX-512)
constexpr int kW = kNV * kVec;       // columns per strip (64 with AVX-512)
constexpr int kVc = 4 * kW;          // columns per chunk
constexpr int kR = 32 * kMR;         // rows per block of rows (the weight-gradient tiles sum over them)

inline int round_up(int n, int m) { return (n + m - 1) / m * m; }

// Z rows r0.. (stride kVc) of one strip = bias + X W: XT is the block's X transposed ([F][kR],
// from row r0), Wp the strip's weights [F][kW].
struct LogitTile {
  int F;
  const float* XT;
  const float* Wp;
  const float* bias;
  float* Z;
  template <int MR>
  void run(int r0) {
    vf acc[MR][kNV];
    IRNN_UNROLL for (int i = 0; i < MR; ++i) IRNN_UNROLL for (int v = 0; v < kNV; ++v) acc[i][v] = loadu(bias + v * kVec);
    const float* a = XT + r0;
    const float* w = Wp;
    for (int k = 0; k < F; ++k, a += kR, w += kW) {
      vf b[kNV];
      IRNN_UNROLL for (int v = 0; v < kNV; ++v) b[v] = loadu(w + v * kVec);
      IRNN_UNROLL for (int i = 0; i < MR; ++i) {
        const float x = a[i];
        IRNN_UNROLL for (int v = 0; v < kNV; ++v) acc[i][v] += x * b[v];
      }
    }
    IRNN_UNROLL for (int i = 0; i < MR; ++i) IRNN_UNROLL for (int v = 0; v < kNV; ++v) storeu(Z + (long)(r0 + i) * kVc + v * kVec, acc[i][v]);
  }
};

// dX rows r0.. (stride ldx), one strip of NV vectors += dZ [rows][K] W_c^T: WTp is the strip
// [kVc][NV*kVec] of the chunk's transposed weights.
template <int NV>
struct DxTile {
  int K;
  const float* Z;
  const float* WTp;
  float* dX;
  long ldx;
  template <int MR>
  void run(int r0) {
    vf acc[MR][NV];
    IRNN_UNROLL for (int i = 0; i < MR; ++i) IRNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = loadu(dX + (r0 + i) * ldx + v * kVec);
    const float* a = Z + (long)r0 * kVc;
    const float* w = WTp;
    for (int k = 0; k < K; ++k, ++a, w += NV * kVec) {
      vf b[NV];
      IRNN_UNROLL for (int v = 0; v < NV; ++v) b[v] = loadu(w + v * kVec);
      IRNN_UNROLL for (int i = 0; i < MR; ++i) {
        const float x = a[(long)i * kVc];
        IRNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] += x * b[v];
      }
    }
    IRNN_UNROLL for (int i = 0; i < MR; ++i) IRNN_UNROLL for (int v = 0; v < NV; ++v) storeu(dX + (r0 + i) * ldx + v * kVec, acc[i][v]);
  }
};

// dW_c rows f0.. ([F][kVc]), one strip += X^T dZ over the block's rows: X rows from x (stride F).
struct DwTile {
  int rows, F;
  const float* x;
  const float* Z;
  float* dW;
  template <int MR>
  void run(int f0) {
    vf acc[MR][kNV];
    IRNN_UNROLL for (int i = 0; i < MR; ++i) IRNN_UNROLL for (int v = 0; v < kNV; ++v) acc[i][v] = loadu(dW + (long)(f0 + i) * kVc + v * kVec);
    const float* a = x + f0;
    const float* z = Z;
    for (int k = 0; k < rows; ++k, a += F, z += kVc) {
      vf b[kNV];
      IRNN_UNROLL for (int v = 0; v < kNV; ++v) b[v] = loadu(z + v * kVec);
      IRNN_UNROLL for (int i = 0; i < MR; ++i) {
        const float xv = a[i];
        IRNN_UNROLL for (int v = 0; v < kNV; ++v) acc[i][v] += xv * b[v];
      }
    }
    IRNN_UNROLL for (int i = 0; i < MR; ++i) IRNN_UNROLL for (int v = 0; v < kNV; ++v) storeu(dW + (long)(f0 + i) * kVc + v * kVec, acc[i][v]);
  }
};

// One chunk's packed operands: Wp [kVc/kW][F][kW] (columns j0.. of W, zero past V), WTp strips
// of W^T [kVc][width] over the padded features, bias [kVc] (past V: -1e30, so that padding
// columns add nothing to any sum of exponentials).
struct Packed {
  int j0, n;
  std::vector<float> Wp, WTp, bias;
};

void pack(const Readout& r, int Fp, bool grad, Packed& p) {
  const int F = r.F, V = r.V;
  p.Wp.assign((size_t)kVc * F, 0.0f);
  for (int s = 0; s < kVc / kW; ++s)
    for (int f = 0; f < F; ++f) {
      const int j = p.j0 + s * kW, n = std::max(0, std::min(kW, V - j));
      if (n) std::memcpy(p.Wp.data() + ((size_t)s * F + f) * kW, r.W + (size_t)f * V + j, sizeof(float) * n);
    }
  p.bias.assign(kVc, -1e30f);
  std::memcpy(p.bias.data(), r.c + p.j0, sizeof(float) * p.n);
  if (!grad) return;
  p.WTp.assign((size_t)kVc * Fp, 0.0f);
  for (int f0 = 0; f0 < F; f0 += kW) {
    const int w = std::min(kW, Fp - f0);
    float* out = p.WTp.data() + (size_t)kVc * f0;
    for (int jj = 0; jj < p.n; ++jj)
      for (int f = f0; f < std::min(F, f0 + w); ++f) out[(size_t)jj * w + (f - f0)] = r.W[(size_t)f * V + p.j0 + jj];
  }
}

// dX rows += Z W_c^T over all feature strips (the last one narrower).
void dx_rows(int rows, int K, const float* Z, const Packed& p, int Fp, float* dX) {
  for (int f0 = 0; f0 < Fp; f0 += kW) {
    const int nv = std::min(kW, Fp - f0) / kVec;
    const float* wt = p.WTp.data() + (size_t)kVc * f0;
    float* d = dX + f0;
    switch (nv) {
      case 4: { DxTile<4> t{K, Z, wt, d, Fp}; tile_rows<kAccRegs / 4>(rows, t); break; }
      case 3: { DxTile<3> t{K, Z, wt, d, Fp}; tile_rows<kAccRegs / 3>(rows, t); break; }
      case 2: { DxTile<2> t{K, Z, wt, d, Fp}; tile_rows<kAccRegs / 2>(rows, t); break; }
      default: { DxTile<1> t{K, Z, wt, d, Fp}; tile_rows<kAccRegs>(rows, t); break; }
    }
  }
}

// The logits of one chunk for one block of rows (XT: the block's X transposed), into Z [kR][kVc].
void chunk_logits(int F, const float* XT, const Packed& p, int rows, float* Z) {
  for (int s = 0; s < kVc / kW; ++s) {
    LogitTile t{F, XT, p.Wp.data() + (size_t)s * F * kW, p.bias.data() + s * kW, Z + s * kW};
    tile_rows<kMR>(rows, t);
  }
}

// dW_c += X^T dZ for one block of rows, the strips that hold real columns.
void chunk_dw(int rows, int F, const float* x, const float* Z, int n, float* dWc) {
  for (int s = 0; s < kVc / kW && s * kW < n; ++s) {
    DwTile dw{rows, F, x, Z + s * kW, dWc + s * kW};
    tile_rows<kMR>(F, dw);
  }
}

// Per-thread state: the chunks it owns, its rows' running maxima and sums, its dX, and scratch.
struct Worker {
  std::vector<Packed> chunks;
  std::vector<float> m, Z, dX, dWc;
  std::vector<double> s;
  std::vector<float> kept;  // the logits of pass 1, [chunk][block][kR][kVc], when they fit keep_bytes
  bool keep = false;
};

}  // namespace

double softmax_xent(const Readout& r, int threads) {
  const int N = r.N, F = r.F, V = r.V;
  const bool grad = r.dX != nullptr;
  const int Fp = round_up(F, kVec), nchunks = (V + kVc - 1) / kVc, nblocks = (N + kR - 1) / kR;
  threads = std::max(1, std::min(threads, nchunks));
  // X transposed by blocks of kR rows: [block][F][kR], zero past N.
  std::vector<float> XT((size_t)nblocks * F * kR, 0.0f);
  for (int i = 0; i < N; ++i)
    for (int f = 0; f < F; ++f) XT[((size_t)(i / kR) * F + f) * kR + i % kR] = r.X[(size_t)i * F + f];
  std::vector<float> zy(N, 0.0f);
  // The workers' buffers stay with the calling thread between calls: steady-state training
  // allocates (and page-faults) nothing large.
  thread_local std::vector<Worker> tls;
  std::vector<Worker>& workers = tls;
  if ((int)workers.size() < threads) workers.resize(threads);

  // Pass 1: each thread's chunks, all rows.
  parallel(threads, [&](int t) {
    Worker& w = workers[t];
    const int c0 = nchunks * t / threads, c1 = nchunks * (t + 1) / threads;
    w.chunks.resize(c1 - c0);
    w.m.assign(N, -1e30f);
    w.s.assign(N, 0.0);
    // (Packed buffers are reused: pack() overwrites them whole.)
    w.Z.resize((size_t)kR * kVc);
    const size_t per_chunk = (size_t)nblocks * kR * kVc;
    const bool keep = grad && per_chunk * (c1 - c0) * sizeof(float) <= r.keep_bytes;
    w.keep = keep;
    if (keep && w.kept.size() < per_chunk * (c1 - c0)) w.kept.resize(per_chunk * (c1 - c0));
    for (int c = c0; c < c1; ++c) {
      Packed& p = w.chunks[c - c0];
      p.j0 = c * kVc, p.n = std::min(kVc, V - p.j0);
      pack(r, Fp, grad, p);
      for (int blk = 0; blk < nblocks; ++blk) {
        const int i0 = blk * kR, rows = std::min(kR, N - i0);
        float* Z = keep ? w.kept.data() + per_chunk * (c - c0) + (size_t)blk * kR * kVc : w.Z.data();
        chunk_logits(F, XT.data() + (size_t)blk * F * kR, p, rows, Z);
        for (int i = 0; i < rows; ++i) {
          const float* z = Z + (size_t)i * kVc;
          float mx = -1e30f;
#pragma omp simd reduction(max : mx)
          for (int j = 0; j < kVc; ++j) mx = z[j] > mx ? z[j] : mx;
          const float m1 = std::max(w.m[i0 + i], mx);
          float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
          for (int j = 0; j < kVc; ++j) sum += exp_f(z[j] - m1);
          // the running sum is rescaled only when the maximum moved: after the first chunks, rarely
          w.s[i0 + i] = (m1 == w.m[i0 + i] ? w.s[i0 + i] : w.s[i0 + i] * std::exp((double)w.m[i0 + i] - m1)) + sum;
          w.m[i0 + i] = m1;
          const int y = r.y[i0 + i] - p.j0;
          if (y >= 0 && y < p.n) zy[i0 + i] = z[y];
        }
      }
    }
  });
  // The log-sum-exp of every row, and the loss.
  std::vector<float> lse(N);
  double loss = 0.0;
  for (int i = 0; i < N; ++i) {
    float m = -1e30f;
    for (int t = 0; t < threads; ++t) m = std::max(m, workers[t].m[i]);
    double s = 0.0;
    for (int t = 0; t < threads; ++t) s += workers[t].s[i] * std::exp((double)workers[t].m[i] - m);
    lse[i] = (float)((double)m + std::log(s));
    const double weight = r.weight ? r.weight[i] : 1.0;
    loss += weight * ((double)m + std::log(s) - zy[i]);
  }
  if (!grad) return loss;

  // Pass 2: gradients, chunk by chunk.
  parallel(threads, [&](int t) {
    Worker& w = workers[t];
    w.dX.assign((size_t)N * Fp, 0.0f);
    w.dWc.resize((size_t)F * kVc);
    const size_t per_chunk = (size_t)nblocks * kR * kVc;
    for (size_t c = 0; c < w.chunks.size(); ++c) {
      const Packed& p = w.chunks[c];
      std::fill(w.dWc.begin(), w.dWc.end(), 0.0f);
      std::vector<float> dc(kVc, 0.0f);
      for (int blk = 0; blk < nblocks; ++blk) {
        const int i0 = blk * kR, rows = std::min(kR, N - i0);
        float* Z = w.Z.data();
        if (w.keep) Z = w.kept.data() + per_chunk * c + (size_t)blk * kR * kVc;
        else chunk_logits(F, XT.data() + (size_t)blk * F * kR, p, rows, Z);
        for (int i = 0; i < rows; ++i) {
          float* z = Z + (size_t)i * kVc;
          const float l = lse[i0 + i], weight = r.weight ? r.weight[i0 + i] : 1.0f;
#pragma omp simd
          for (int j = 0; j < kVc; ++j) z[j] = weight * exp_f(z[j] - l);
          const int y = r.y[i0 + i] - p.j0;
          if (y >= 0 && y < p.n) z[y] -= weight;
#pragma omp simd
          for (int j = 0; j < kVc; ++j) dc[j] += z[j];
        }
        dx_rows(rows, round_up(p.n, kVec), Z, p, Fp, w.dX.data() + (size_t)i0 * Fp);
        chunk_dw(rows, F, r.X + (size_t)i0 * F, Z, p.n, w.dWc.data());
      }
      for (int f = 0; f < F; ++f) std::memcpy(r.dW + (size_t)f * V + p.j0, w.dWc.data() + (size_t)f * kVc, sizeof(float) * p.n);
      std::memcpy(r.dc + p.j0, dc.data(), sizeof(float) * p.n);
    }
  });
  for (int i = 0; i < N; ++i)
    for (int f = 0; f < F; ++f) {
      float s = 0.0f;
      for (int t = 0; t < threads; ++t) s += workers[t].dX[(size_t)i * Fp + f];
      r.dX[(size_t)i * F + f] = s;
    }
  return loss;
}

}  // namespace irnn
