// Fused softmax cross-entropy readout for large vocabularies: logits = X W + c, log-softmax, the
// loss and its gradients, block by block (a few rows at a time), never a full [N, V] tensor.
// Caller-owned float32 buffers, row-major; nothing here knows about tfjs or Node.
#pragma once
#include <cstdint>

namespace irnn {

struct Readout {
  int N, F, V;          // rows (targets), features, classes
  const float* X;       // [N, F]
  const float* W;       // [F, V]
  const float* c;       // [V]
  const int32_t* y;     // [N] class ids, each in 0..V-1
  const float* weight;  // [N] per-row weight of the loss (a mask), or null = all 1
  float* dX;            // out [N, F] gradient of the summed loss, or null: loss only
  float* dW;            // out [F, V] (with dX)
  float* dc;            // out [V] (with dX)
};

// Sum over rows of weight * (logsumexp(z) - z[y]) with z = X W + c, and (dX non-null) the gradients
// of that sum. Rows are split across `threads` (each with its own weight-gradient accumulator, summed
// at the end), so results differ between thread counts only by float rounding.
double softmax_xent(const Readout& r, int threads);

// Peak single-precision rate: `threads` threads each run independent fused multiply-add chains in
// registers for `iters` rounds (2 flops per lane per FMA). `wall`: all threads' flops over the
// slowest thread's wall time; `per_core`: one thread's flops over its own CPU time (what a core
// does while it runs, whatever else shares the machine).
struct Peak {
  double wall, per_core;  // GFLOP/s
};
Peak fma_peak(int threads, long iters);

}  // namespace irnn
