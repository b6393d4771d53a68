// The sequence engine: forward and backward through time of one layer in one direction, input
// projection included, with the batch in the SIMD lanes. Each block of L batch rows (L a multiple
// of the vector width, at most kBlockVecs vectors) keeps its states as [T][H][L] ("lanes"), so a
// step's product is a register tile of output units x batch vectors: every lane is a real row
// (no ragged columns at H = 100) and the next step reads its input with no transposition.
// Caller-owned buffers; nothing here knows about Node or tfjs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "recurrence.h"  // Cell, gates()

namespace irnn {

constexpr int kBlockVecs = 4;  // at most 4 vectors of batch rows per block (64 rows with AVX-512)

// Where the input row of step t, batch row b comes from (I floats, contiguous): rows + t*st + b*sb
// (time-major [T, B, I]: st = B*I, sb = I; batch-major [B, T, I]: st = I, sb = T*I), or with ids
// the embedding row emb + ids[t*id_st + b*id_sb] * I; or `lanes`: per block, the states of the
// layer below ([T][I][L]; the same batch, so the same blocks).
struct SeqInput {
  const float* rows = nullptr;
  long st = 0, sb = 0;
  const float* emb = nullptr;
  const int32_t* ids = nullptr;
  long id_st = 0, id_sb = 0;
  const float* const* lanes = nullptr;
  const float* row(int t, int b, int I) const {
    return ids ? emb + (size_t)ids[(long)t * id_st + (long)b * id_sb] * I : rows + (long)t * st + (long)b * sb;
  }
};

struct SeqLayer {
  Cell cell;
  int T, B, H, I;
  const float* U;   // [I, G*H] (null with ready projections)
  const float* b;   // [G*H]
  const float* W;   // [H, G*H]
  const float* bh;  // [G*H] (gru) or null = zeros
};

// The saved buffer of a forward pass, block after block: h0 [H][L], c0 [H][L] (lstm), the states
// [T][H][L] and the cell's activations [T][A][L] (lstm: i f g o c, A = 5H; gru: r z n hW_n+bh_n,
// A = 4H). A layer above reads `states` of each block as its input lanes.
struct SeqBlock {
  int b0, rows, L;  // first batch row, real rows, lanes (rows rounded up to whole vectors)
  size_t at;        // offset of the block in the saved buffer (floats)
  size_t h0, c0, states, aux;  // offsets inside the saved buffer
};
std::vector<SeqBlock> seq_blocks(const SeqLayer& l);
size_t seq_saved_floats(const SeqLayer& l);

struct SeqForward {
  SeqInput in;                // the input (with U, b); ignored when x is given
  const float* x = nullptr;   // [T, B, G*H] ready projections x_t U + b instead (tests), or null
  const float* h0 = nullptr;  // [B, H] or null = zeros
  const float* c0 = nullptr;  // [B, H] (lstm) or null = zeros
  float* saved;               // out: seq_saved_floats(l) floats, read by seq_backward
  float* states = nullptr;    // out [T, B, H] time-major rows, or null
  float* hT = nullptr;        // out [B, H] final state, or null
  float* cT = nullptr;        // out [B, H] final lstm cell state, or null
};

struct SeqBackward {
  SeqInput in;
  bool projected = true;            // false: the forward pass had ready projections x: dx replaces dU, db
  const float* saved;
  const float* ds = nullptr;        // [T, B, H] loss gradient w.r.t. every state, or null
  const float* const* ds_lanes = nullptr;  // the same per block, [T][H][L], or null
  const float* ds_last = nullptr;   // [B, H] loss gradient w.r.t. the last state only, or null
  float* dU = nullptr;              // out [I, G*H]
  float* db = nullptr;              // out [G*H]
  float* dW;                        // out [H, G*H]
  float* dbh = nullptr;             // out [G*H] (gru)
  float* dh0 = nullptr;             // out [B, H] or null
  float* dc0 = nullptr;             // out [B, H] (lstm) or null
  float* dx = nullptr;              // out [T, B, G*H] (projected = false)
  float* din = nullptr;             // out [T, B, I] input gradient, time-major rows, or null
  float* const* din_lanes = nullptr;  // out: the same per block, [T][I][L] (for the layer below)
  float* hnorm = nullptr;           // out [T, B] the diagnostics' probe, or null
  float* cnorm = nullptr;           // out [T, B] (lstm) or null
};

void seq_forward(const SeqLayer& l, const SeqForward& f, int threads);
void seq_backward(const SeqLayer& l, const SeqBackward& g, int threads);

}  // namespace irnn
