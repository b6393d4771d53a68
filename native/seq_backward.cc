// Backward pass through time of the sequence engine (seq.h). Per step and block: the cell's
// elementwise pass gives the pre-activation gradients D [G*H][L], one register-tiled product
// carries dh_{t-1} = D W^T (the sequential chain), and D is turned into rows [L][G*H] for the
// weight gradients, which are summed every kChunk steps while the chunk is still in cache
// (dW += h^T D, dU += x^T D): no [T, B, G*H] buffer is ever written to memory.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "seq.h"
#include "seq_tiles.h"
#include "vmath.h"

namespace irnn {
namespace {

constexpr int kChunk = 8;  // steps per weight-gradient product: the chunk's D rows stay in L1/L2

inline int padded(int n) { return (n + kVec - 1) / kVec * kVec; }

// dst rows r0.. [R][L] = (dst if add) + sum_{k<K} A[k*ld + r] * D[k][:]
template <int NV>
struct ChainTile {
  const float* A;
  long ld;
  int K;
  const float* D;
  float* dst;
  bool add;
  template <int MR>
  void run(int r0) {
    constexpr int L = NV * kVec;
    vf acc[MR][NV];
    if (add)
      load_rows<MR, NV>(dst + (long)r0 * L, acc);
    else
      IRNN_UNROLL for (int i = 0; i < MR; ++i) IRNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = vf{};
    mac_lanes<MR, NV>(K, A + r0, ld, D, acc);
    store_rows<MR, NV>(dst + (long)r0 * L, acc);
  }
  void rows(int n) { tile_rows<kAccRegs / NV>(n, *this); }
};

// C [M][ldc] rows q0.. += sum_k a(k)[q*AS] * D[k][:] over column vectors v0 .. v0+NVR.
template <int NVR, int AS, class APtr>
struct GradTile {
  int K;
  APtr a;
  const float* D;
  long ldd;
  float* C;
  long ldc;
  int col;
  template <int MR>
  void run(int q0) {
    auto at = [&](int k) { return a(k) + q0 * AS; };
    wgrad_tile<MR, NVR, AS>(K, at, D + col, ldd, C + (long)q0 * ldc + col, ldc);
  }
};

// C [M][Np] += A^T D over a chunk: K rows of D [K][Np] (Np = nv vectors), A given per row k.
template <int AS, class APtr>
void chunk_grad(int M, int nv, int K, APtr a, const float* D, long ldd, float* C, long ldc) {
  int v0 = 0;
  for (; v0 + 4 <= nv; v0 += 4) {
    GradTile<4, AS, APtr> g{K, a, D, ldd, C, ldc, v0 * kVec};
    tile_rows<kAccRegs / 4>(M, g);
  }
  const int rest = nv - v0;
  if (rest == 3) {
    GradTile<3, AS, APtr> g{K, a, D, ldd, C, ldc, v0 * kVec};
    tile_rows<kAccRegs / 3>(M, g);
  } else if (rest == 2) {
    GradTile<2, AS, APtr> g{K, a, D, ldd, C, ldc, v0 * kVec};
    tile_rows<kAccRegs / 2>(M, g);
  } else if (rest == 1) {
    GradTile<1, AS, APtr> g{K, a, D, ldd, C, ldc, v0 * kVec};
    tile_rows<kAccRegs>(M, g);
  }
}

// One block's share of the weight gradients (summed over blocks in block order at the end).
struct Partial {
  std::vector<float> dW, dU, db, dbh;  // [H][GHp], [I][GHp], [GH][L], [GH][L] (lanes not yet summed)
};

struct Shared {
  std::vector<float> WT, UT;  // [GH][H], [GH][I]
};

// The cells' gradients in lanes, a vector at a time (n is a whole number of vectors); ds, the
// loss gradient of step t, may be null.
inline vf ds_at(const float* ds, long j) { return ds ? loadu(ds + j) : vf{}; }

void rnn_grad(bool relu, long n, const float* __restrict h, const float* __restrict dh,
              const float* __restrict ds, float* __restrict d) {
  for (long j = 0; j < n; j += kVec) {
    const vf hv = loadu(h + j), g = loadu(dh + j) + ds_at(ds, j);
    storeu(d + j, relu ? (hv > 0.0f ? g : vf{}) : g * (1.0f - hv * hv));
  }
}

// a: [i f g o c] of step t; cp: c_{t-1}; dc carried in and out.
void lstm_grad(long n, const float* __restrict a, const float* __restrict cp, const float* __restrict dh,
               const float* __restrict ds, float* __restrict dc, float* __restrict d) {
  for (long j = 0; j < n; j += kVec) {
    const vf i = loadu(a + j), fg = loadu(a + n + j), g = loadu(a + 2 * n + j), o = loadu(a + 3 * n + j);
    const vf tc = tanh_v(loadu(a + 4 * n + j));
    const vf dhv = loadu(dh + j) + ds_at(ds, j);
    const vf dcv = loadu(dc + j) + dhv * o * (1.0f - tc * tc);
    storeu(d + j, dcv * g * i * (1.0f - i));
    storeu(d + n + j, dcv * loadu(cp + j) * fg * (1.0f - fg));
    storeu(d + 2 * n + j, dcv * i * (1.0f - g * g));
    storeu(d + 3 * n + j, dhv * tc * o * (1.0f - o));
    storeu(dc + j, dcv * fg);
  }
}

// a: [r z n hn]; dh carried in, the direct part z * dh out; d the input side, dr the recurrent
// side (they differ in the n block by the factor r).
void gru_grad(long n, const float* __restrict a, const float* __restrict hp, float* __restrict dh,
              const float* __restrict ds, float* __restrict d, float* __restrict dr) {
  for (long j = 0; j < n; j += kVec) {
    const vf r = loadu(a + j), z = loadu(a + n + j), nn = loadu(a + 2 * n + j), hn = loadu(a + 3 * n + j);
    const vf dhv = loadu(dh + j) + ds_at(ds, j);
    const vf dnp = dhv * (1.0f - z) * (1.0f - nn * nn);
    const vf drp = dnp * hn * r * (1.0f - r);
    const vf dzp = dhv * (loadu(hp + j) - nn) * z * (1.0f - z);
    storeu(d + j, drp), storeu(d + n + j, dzp), storeu(d + 2 * n + j, dnp);
    storeu(dr + j, drp), storeu(dr + n + j, dzp), storeu(dr + 2 * n + j, dnp * r);
    storeu(dh + j, dhv * z);
  }
}

template <int NV>
void backward_block(const SeqLayer& l, const SeqBackward& g, const SeqBlock& k, int blk, const Shared& sh,
                    Partial& out) {
  constexpr int L = NV * kVec;
  const int T = l.T, H = l.H, GH = gates(l.cell) * H, GHp = padded(GH), I = l.I, B = l.B, n = k.rows;
  const long hl = (long)H * L, gl = (long)GH * L;
  const long al = (long)(l.cell == Cell::Lstm ? 5 * H : l.cell == Cell::Gru ? 4 * H : 0) * L;
  const float* h0 = g.saved + k.h0;
  const float* c0 = g.saved + k.c0;
  const float* S = g.saved + k.states;
  const float* A = g.saved + k.aux;
  const bool lstm = l.cell == Cell::Lstm, gru = l.cell == Cell::Gru;
  const bool want_din = g.projected && (g.din || g.din_lanes);
  const bool rows_in = g.projected && !g.in.lanes;

  // Scratch: carried dh, dc; this step's D (and the gru's recurrent side), ds and din in lanes;
  // the chunk's D as rows [kChunk][L][GHp]; a zero input row for the padding lanes.
  std::vector<float> buf(2 * hl + 2 * gl + hl + (size_t)I * L + 2 * (size_t)kChunk * L * GHp + I, 0.0f);
  float* dh = buf.data();
  float* dc = dh + hl;
  float* D = dc + hl;
  float* Dr = gru ? D + gl : D;
  float* dsl = D + 2 * gl;
  float* dinl = dsl + hl;
  float* DB = dinl + (size_t)I * L;
  float* DBr = gru ? DB + (size_t)kChunk * L * GHp : DB;
  const float* zero = DB + 2 * (size_t)kChunk * L * GHp;
  const float* hrow[kChunk];
  const float* xlanes[kChunk];
  std::vector<const float*> xrows(rows_in ? (size_t)kChunk * L : 0);

  out.dW.assign((size_t)H * GHp, 0.0f);
  out.dU.assign(g.projected ? (size_t)I * GHp : 0, 0.0f);
  out.db.assign(gl, 0.0f);
  out.dbh.assign(gru ? gl : 0, 0.0f);

  for (int t = T - 1, c = 0; t >= 0; --t) {
    const float* ds = nullptr;
    if (g.ds) {
      rows_to_lanes(g.ds + ((size_t)t * B + k.b0) * H, H, n, H, L, dsl);
      ds = dsl;
    } else if (g.ds_lanes) {
      ds = g.ds_lanes[blk] + t * hl;
    } else if (g.ds_last && t == T - 1) {
      rows_to_lanes(g.ds_last + (size_t)k.b0 * H, H, n, H, L, dsl);
      ds = dsl;
    }
    if (g.hnorm || g.cnorm) {  // the probe: norms of the total dL/dh_t (and dL/dc_t) per row, in double
      const float* a = A + t * al;
      for (int r = 0; r < n; ++r) {
        double sh2 = 0.0, sc2 = 0.0;
        for (int m = 0; m < H; ++m) {
          const long j = (long)m * L + r;
          const double v = (double)dh[j] + (ds ? ds[j] : 0.0f);
          sh2 += v * v;
          if (lstm && g.cnorm) {
            const double tc = std::tanh((double)a[4 * hl + j]), o = a[3 * hl + j];
            const double cv = (double)dc[j] + v * o * (1.0 - tc * tc);
            sc2 += cv * cv;
          }
        }
        const size_t at = (size_t)t * B + k.b0 + r;
        if (g.hnorm) g.hnorm[at] = (float)std::sqrt(sh2);
        if (lstm && g.cnorm) g.cnorm[at] = (float)std::sqrt(sc2);
      }
    }
    const float* hp = t ? S + (t - 1) * hl : h0;
    if (lstm)
      lstm_grad(hl, A + t * al, t ? A + (t - 1) * al + 4 * hl : c0, dh, ds, dc, D);
    else if (gru)
      gru_grad(hl, A + t * al, hp, dh, ds, D, Dr);
    else
      rnn_grad(l.cell == Cell::RnnRelu, hl, S + t * hl, dh, ds, D);
    ChainTile<NV>{sh.WT.data(), H, GH, Dr, dh, gru}.rows(H);  // dh_{t-1}
    if (want_din) {
      float* dst = g.din_lanes ? g.din_lanes[blk] + (size_t)t * I * L : dinl;
      ChainTile<NV>{sh.UT.data(), I, GH, D, dst, false}.rows(I);
      if (g.din) lanes_to_rows(dinl, I, L, n, g.din + ((size_t)t * B + k.b0) * I, I);
    }
    float* db = out.db.data();
    for (long j = 0; j < gl; j += kVec) storeu(db + j, loadu(db + j) + loadu(D + j));
    if (gru) {
      float* dbh = out.dbh.data();
      for (long j = 0; j < gl; j += kVec) storeu(dbh + j, loadu(dbh + j) + loadu(Dr + j));
    }
    lanes_to_rows(D, GH, L, L, DB + (size_t)c * L * GHp, GHp);
    if (gru) lanes_to_rows(Dr, GH, L, L, DBr + (size_t)c * L * GHp, GHp);
    if (g.dx)
      for (int r = 0; r < n; ++r)
        std::memcpy(g.dx + ((size_t)t * B + k.b0 + r) * GH, DB + ((size_t)c * L + r) * GHp, sizeof(float) * GH);
    hrow[c] = hp;
    if (g.projected) {
      if (rows_in)
        for (int r = 0; r < L; ++r) xrows[(size_t)c * L + r] = r < n ? g.in.row(t, k.b0 + r, I) : zero;
      else
        xlanes[c] = g.in.lanes[blk] + (size_t)t * I * L;
    }
    if (++c == kChunk || t == 0) {  // the chunk's weight gradients
      const int K = c * L, nv = GHp / kVec;
      auto ha = [&](int q) { return hrow[q / L] + q % L; };
      chunk_grad<L>(H, nv, K, ha, DBr, GHp, out.dW.data(), GHp);
      if (g.projected && rows_in) {
        auto xa = [&](int q) { return xrows[q]; };
        chunk_grad<1>(I, nv, K, xa, DB, GHp, out.dU.data(), GHp);
      } else if (g.projected) {
        auto xa = [&](int q) { return xlanes[q / L] + q % L; };
        chunk_grad<L>(I, nv, K, xa, DB, GHp, out.dU.data(), GHp);
      }
      c = 0;
    }
  }
  if (g.dh0) lanes_to_rows(dh, H, L, n, g.dh0 + (size_t)k.b0 * H, H);
  if (g.dc0) lanes_to_rows(dc, H, L, n, g.dc0 + (size_t)k.b0 * H, H);
}

}  // namespace

void seq_backward(const SeqLayer& l, const SeqBackward& g, int threads) {
  const std::vector<SeqBlock> blocks = seq_blocks(l);
  const int H = l.H, GH = gates(l.cell) * H, GHp = padded(GH), I = l.I;
  Shared sh;
  sh.WT.resize((size_t)GH * H);
  for (int m = 0; m < H; ++m)
    for (int r = 0; r < GH; ++r) sh.WT[(size_t)r * H + m] = l.W[(size_t)m * GH + r];
  if (g.projected && (g.din || g.din_lanes)) {
    sh.UT.resize((size_t)GH * I);
    for (int q = 0; q < I; ++q)
      for (int r = 0; r < GH; ++r) sh.UT[(size_t)r * I + q] = l.U[(size_t)q * GH + r];
  }
  std::vector<Partial> parts(blocks.size());
  for_blocks((int)blocks.size(), threads, [&](int i) {
    const SeqBlock& k = blocks[i];
    switch (k.L / kVec) {
      case 1: return backward_block<1>(l, g, k, i, sh, parts[i]);
      case 2: return backward_block<2>(l, g, k, i, sh, parts[i]);
      case 3: return backward_block<3>(l, g, k, i, sh, parts[i]);
      default: return backward_block<4>(l, g, k, i, sh, parts[i]);
    }
  });
  // Sums over blocks in block order (the same whatever the thread count), lanes summed in order.
  for (int m = 0; m < H; ++m)
    for (int r = 0; r < GH; ++r) {
      float s = 0.0f;
      for (const Partial& p : parts) s += p.dW[(size_t)m * GHp + r];
      g.dW[(size_t)m * GH + r] = s;
    }
  if (g.projected && g.dU)
    for (int q = 0; q < I; ++q)
      for (int r = 0; r < GH; ++r) {
        float s = 0.0f;
        for (const Partial& p : parts) s += p.dU[(size_t)q * GHp + r];
        g.dU[(size_t)q * GH + r] = s;
      }
  auto lane_sum = [&](std::vector<float> Partial::*field, float* dst) {
    for (int r = 0; r < GH; ++r) {
      float s = 0.0f;
      for (size_t i = 0; i < blocks.size(); ++i) {
        const int L = blocks[i].L;
        const float* v = (parts[i].*field).data() + (size_t)r * L;
        for (int j = 0; j < L; ++j) s += v[j];
      }
      dst[r] = s;
    }
  };
  if (g.projected && g.db) lane_sum(&Partial::db, g.db);
  if (g.dbh) lane_sum(&Partial::dbh, g.dbh);
}

}  // namespace irnn
