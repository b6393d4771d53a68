// Optimizer passes over caller-owned float32 buffers: one Adam step of one variable, and the
// sum of squares used by global-norm clipping. Plain loops the compiler vectorises.
#pragma once
#include <cstddef>

namespace irnn {

struct AdamStep {
  size_t n;
  const float *g, *m, *v, *w;  // gradient, moments and weights in
  float *m1, *v1, *w1;         // out (may alias m, v, w)
  float b1, b2, lr, eps;
  float c1, c2;  // bias corrections 1 - beta1^t, 1 - beta2^t
};
// gscale multiplies the gradient first (the clipping factor).
void adam_step(const AdamStep& a, float gscale = 1.0f);

double sum_squares(const float* x, size_t n);

}  // namespace irnn
