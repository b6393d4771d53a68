// The FMA peak (peak.h): kChains independent accumulators per thread, more than the FMA latency
// times the FMA units, so that nothing but the units' throughput limits the rate.
#include "peak.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>
#include <vector>

#include "simd.h"

namespace irnn {
namespace {

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

}  // namespace

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
