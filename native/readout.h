// Fused softmax cross-entropy readout for large vocabularies: logits = X W + c, log-softmax, the
// loss and its gradients in chunks of columns, never a [N, V] tensor of tfjs (the kernel keeps
// the logits between its two passes only up to keep_bytes). Caller-owned float32 buffers,
// row-major; nothing here knows about tfjs or Node.
#pragma once
#include <cstddef>
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
  // Logits of the first pass kept for the second, per thread, up to this many bytes; above it
  // they are computed again (0: always again, which tests use to cover that path).
  size_t keep_bytes = size_t(96) << 20;
};

// Sum over rows of weight * (logsumexp(z) - z[y]) with z = X W + c, and (dX non-null) the gradients
// of that sum. Chunks of columns are split across `threads` (each with its own input-gradient
// accumulator, summed at the end), so results differ between thread counts only by float rounding.
double softmax_xent(const Readout& r, int threads);

}  // namespace irnn
