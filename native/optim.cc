// Optimizer passes (optim.h): the same arithmetic as tfjs's Adam, in one pass per variable.
#include "optim.h"

#include <cmath>

namespace irnn {

void adam_step(const AdamStep& a, float gscale) {
  const float b1 = a.b1, b2 = a.b2, lr = a.lr, eps = a.eps, c1 = a.c1, c2 = a.c2;
#pragma omp simd
  for (size_t k = 0; k < a.n; ++k) {
    const float g = a.g[k] * gscale;
    const float m = a.m[k] * b1 + g * (1.0f - b1);
    const float v = a.v[k] * b2 + g * g * (1.0f - b2);
    const float w = a.w[k] - lr * (m / c1) / (std::sqrt(v / c2) + eps);
    a.m1[k] = m, a.v1[k] = v, a.w1[k] = w;
  }
}

double sum_squares(const float* x, size_t n) {
  // Float partial sums in blocks (vectorised), accumulated in double across blocks.
  double total = 0.0;
  for (size_t i0 = 0; i0 < n; i0 += 4096) {
    const size_t i1 = i0 + 4096 < n ? i0 + 4096 : n;
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (size_t i = i0; i < i1; ++i) s += x[i] * x[i];
    total += s;
  }
  return total;
}

}  // namespace irnn
