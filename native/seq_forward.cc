// Forward pass of the sequence engine (seq.h). Per step and block: one register-tiled product
// over [x_t | h_{t-1}] for all gate rows (the input projection needs no [T, B, G*H] buffer), the
// ReLU applied in registers, or the cell's elementwise pass over [rows][L] in lanes.
#include <algorithm>
#include <cstring>

#include "seq.h"
#include "seq_tiles.h"
#include "vmath.h"

namespace irnn {

static int aux_rows(Cell c, int H) { return c == Cell::Lstm ? 5 * H : c == Cell::Gru ? 4 * H : 0; }

std::vector<SeqBlock> seq_blocks(const SeqLayer& l) {
  std::vector<SeqBlock> out;
  const int per = kBlockVecs * kVec;
  size_t at = 0;
  for (int b0 = 0; b0 < l.B; b0 += per) {
    SeqBlock k;
    k.b0 = b0;
    k.rows = std::min(per, l.B - b0);
    k.L = (k.rows + kVec - 1) / kVec * kVec;
    const size_t hl = (size_t)l.H * k.L;
    k.at = k.h0 = at;
    k.c0 = k.h0 + hl;
    k.states = k.c0 + (l.cell == Cell::Lstm ? hl : 0);
    k.aux = k.states + (size_t)l.T * hl;
    at = k.aux + (size_t)l.T * aux_rows(l.cell, l.H) * k.L;
    out.push_back(k);
  }
  return out;
}

size_t seq_saved_floats(const SeqLayer& l) {
  const std::vector<SeqBlock> b = seq_blocks(l);
  return b.back().aux + (size_t)l.T * aux_rows(l.cell, l.H) * b.back().L;
}

namespace {

// Rows rb + r0 .. of one step's pre-activations into dst (rows from dst): init (bias b1 + b2, or
// ready lanes), + U^T x_t over I, + W^T h_{t-1} over H; ReLU in registers when asked.
template <int NV>
struct StepTile {
  static constexpr int L = NV * kVec;
  const float *b1 = nullptr, *b2 = nullptr, *ready = nullptr;
  const float* U = nullptr;
  const float* x = nullptr;
  int I = 0;
  const float* W = nullptr;
  const float* h = nullptr;
  int H = 0;
  long ld = 0;  // row stride of U and W (G*H)
  int rb = 0;   // first row of this range in U, W and the biases
  float* dst = nullptr;
  bool relu = false;

  template <int MR>
  void run(int r0) {
    vf acc[MR][NV];
    const int r = rb + r0;
    if (ready) {
      load_rows<MR, NV>(ready + (long)r0 * L, acc);
    } else {
      IRNN_UNROLL for (int i = 0; i < MR; ++i) {
        const vf b = vf{} + ((b1 ? b1[r + i] : 0.0f) + (b2 ? b2[r + i] : 0.0f));
        IRNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = b;
      }
    }
    if (ready && b2) {
      IRNN_UNROLL for (int i = 0; i < MR; ++i)
        IRNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] += b2[r + i];
    }
    if (U) mac_lanes<MR, NV>(I, U + r, ld, x, acc);
    if (W) mac_lanes<MR, NV>(H, W + r, ld, h, acc);
    if (relu) {
      IRNN_UNROLL for (int i = 0; i < MR; ++i)
        IRNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = acc[i][v] > 0.0f ? acc[i][v] : 0.0f;
    }
    store_rows<MR, NV>(dst + (long)r0 * L, acc);
  }
  void rows(int n) { tile_rows<kAccRegs / NV>(n, *this); }
};

// a: [i f g o _] pre-activations in, [i f g o c] out; cp: c_{t-1}. n is a whole number of vectors.
void lstm_lanes(long n, float* __restrict a, const float* __restrict cp, float* __restrict h) {
  for (long j = 0; j < n; j += kVec) {
    const vf i = sigmoid_v(loadu(a + j)), fg = sigmoid_v(loadu(a + n + j));
    const vf g = tanh_v(loadu(a + 2 * n + j)), o = sigmoid_v(loadu(a + 3 * n + j));
    const vf c = fg * loadu(cp + j) + i * g;
    storeu(a + j, i), storeu(a + n + j, fg), storeu(a + 2 * n + j, g), storeu(a + 3 * n + j, o);
    storeu(a + 4 * n + j, c);
    storeu(h + j, o * tanh_v(c));
  }
}

// a: [r z _ hn] with r, z pre-activations and hn = h W_n + bh_n; zx = x_n U + b_n.
void gru_lanes(long n, float* __restrict a, const float* __restrict zx, const float* __restrict hp,
               float* __restrict h) {
  for (long j = 0; j < n; j += kVec) {
    const vf r = sigmoid_v(loadu(a + j)), z = sigmoid_v(loadu(a + n + j));
    const vf nn = tanh_v(loadu(zx + j) + r * loadu(a + 3 * n + j));
    storeu(a + j, r), storeu(a + n + j, z), storeu(a + 2 * n + j, nn);
    storeu(h + j, (1.0f - z) * nn + z * loadu(hp + j));
  }
}

template <int NV>
void forward_block(const SeqLayer& l, const SeqForward& f, const SeqBlock& k, int blk) {
  constexpr int L = NV * kVec;
  const int T = l.T, H = l.H, GH = gates(l.cell) * H, I = l.I, B = l.B, n = k.rows;
  const long hl = (long)H * L, al = (long)aux_rows(l.cell, H) * L;
  float* h0 = f.saved + k.h0;
  float* c0 = f.saved + k.c0;
  float* S = f.saved + k.states;
  float* A = f.saved + k.aux;
  const bool lstm = l.cell == Cell::Lstm, gru = l.cell == Cell::Gru;
  rows_to_lanes(f.h0 ? f.h0 + (size_t)k.b0 * H : nullptr, H, n, H, L, h0);
  if (lstm) rows_to_lanes(f.c0 ? f.c0 + (size_t)k.b0 * H : nullptr, H, n, H, L, c0);
  std::vector<float> scratch((size_t)(f.x ? GH : I) * L + (gru ? hl : 0));
  float* xin = scratch.data();                        // this step's input (or ready projections) in lanes
  float* zx = xin + (size_t)(f.x ? GH : I) * L;       // gru: x_n U + b_n
  std::vector<float> gathered;                        // looked-up embedding rows

  StepTile<NV> tile;
  tile.ld = GH, tile.I = I, tile.H = H;
  for (int t = 0; t < T; ++t) {
    const float* x = nullptr;
    if (f.x) {
      rows_to_lanes(f.x + ((size_t)t * B + k.b0) * GH, GH, n, GH, L, xin);
    } else if (f.in.lanes) {
      x = f.in.lanes[blk] + (size_t)t * I * L;
    } else {
      if (f.in.ids)
        gather_to_lanes([&](int r) { return f.in.row(t, k.b0 + r, I); }, n, I, L, gathered, xin);
      else
        rows_to_lanes(f.in.row(t, k.b0, I), f.in.sb, n, I, L, xin);
      x = xin;
    }
    const float* hp = t ? S + (t - 1) * hl : h0;
    float* h = S + t * hl;
    float* a = A + t * al;
    tile.x = x, tile.h = hp, tile.U = f.x ? nullptr : l.U, tile.W = l.W;
    tile.ready = f.x ? xin : nullptr;
    tile.b1 = f.x ? nullptr : l.b;
    if (!lstm && !gru) {
      tile.rb = 0, tile.b2 = nullptr, tile.dst = h, tile.relu = l.cell == Cell::RnnRelu;
      tile.rows(H);
      if (l.cell == Cell::RnnTanh)
        for (long j = 0; j < hl; j += kVec) storeu(h + j, tanh_v(loadu(h + j)));
    } else if (lstm) {
      tile.rb = 0, tile.b2 = nullptr, tile.dst = a, tile.relu = false;
      tile.rows(GH);
      lstm_lanes(hl, a, t ? a - al + 4 * hl : c0, h);
    } else {
      tile.relu = false;
      tile.rb = 0, tile.b2 = l.bh, tile.dst = a;  // r, z: x and h parts together
      tile.rows(2 * H);
      if (f.x) {
        std::memcpy(zx, xin + 2 * hl, sizeof(float) * hl);
      } else {  // n: the x part alone ...
        tile.rb = 2 * H, tile.b2 = nullptr, tile.W = nullptr, tile.dst = zx;
        tile.rows(H);
      }
      // ... and the h part alone (the reset gate multiplies it)
      tile.rb = 2 * H, tile.b1 = nullptr, tile.b2 = l.bh, tile.U = nullptr, tile.ready = nullptr, tile.W = l.W;
      tile.dst = a + 3 * hl;
      tile.rows(H);
      gru_lanes(hl, a, zx, hp, h);
    }
    if (n < L) {  // padding lanes stay zero, so that they can never overflow into a sum
      for (int r = 0; r < H; ++r) std::memset(h + (long)r * L + n, 0, sizeof(float) * (L - n));
      if (lstm)
        for (int r = 0; r < H; ++r) std::memset(a + 4 * hl + (long)r * L + n, 0, sizeof(float) * (L - n));
    }
    if (f.states) lanes_to_rows(h, H, L, n, f.states + ((size_t)t * B + k.b0) * H, H);
  }
  if (f.hT) lanes_to_rows(S + (T - 1) * hl, H, L, n, f.hT + (size_t)k.b0 * H, H);
  if (f.cT) lanes_to_rows(A + (T - 1) * al + 4 * hl, H, L, n, f.cT + (size_t)k.b0 * H, H);
}

}  // namespace

void seq_forward(const SeqLayer& l, const SeqForward& f, int threads) {
  const std::vector<SeqBlock> blocks = seq_blocks(l);
  for_blocks((int)blocks.size(), threads, [&](int i) {
    const SeqBlock& k = blocks[i];
    switch (k.L / kVec) {
      case 1: return forward_block<1>(l, f, k, i);
      case 2: return forward_block<2>(l, f, k, i);
      case 3: return forward_block<3>(l, f, k, i);
      default: return forward_block<4>(l, f, k, i);
    }
  });
}

}  // namespace irnn
