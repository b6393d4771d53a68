// The CPU's measured peak single-precision rate, for the bench's "% of peak": independent fused
// multiply-add chains in registers, per thread.
#pragma once

namespace irnn {

// `threads` threads each run independent FMA chains for `iters` rounds (2 flops per lane per FMA).
// `wall`: all threads' flops over the slowest thread's wall time; `per_core`: one thread's flops
// over its own CPU time (what a core does while it runs, whatever else shares the machine).
struct Peak {
  double wall, per_core;  // GFLOP/s
};
Peak fma_peak(int threads, long iters);

}  // namespace irnn
