// Activations on whole SIMD vectors (the cells' elementwise passes in lanes): the same
// approximations as exp_f, sigmoid_f and tanh_f in simd.h, with one difference: with AVX-512 the
// reciprocals take the 14-bit hardware estimate and one Newton step (relative error ~2^-28, below
// float's 2^-24) instead of a division, which occupies an FMA port for about 10 cycles.
#pragma once
#include <cstdint>

#include "simd.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace irnn {

typedef int32_t vi __attribute__((vector_size(kVec * sizeof(int32_t))));

static inline __attribute__((always_inline)) vf recip_v(vf x) {
#if defined(__AVX512F__)
  vf r;
  const __m512 e = _mm512_rcp14_ps(reinterpret_cast<__m512&>(x));
  std::memcpy(&r, &e, sizeof r);
  return r * (2.0f - x * r);
#else
  return 1.0f / x;
#endif
}

static inline __attribute__((always_inline)) vf exp_v(vf x) {
  x = x < -87.0f ? vf{} - 87.0f : x;
  x = x > 88.0f ? vf{} + 88.0f : x;
  vf n;
  const vf p = exp_core(x, n);
  const vi bits = (__builtin_convertvector(n, vi) + 127) << 23;
  vf scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

static inline __attribute__((always_inline)) vf sigmoid_v(vf x) { return recip_v(1.0f + exp_v(-x)); }

// Odd Taylor series near 0 (where 1 - 2/(e^2x + 1) would cancel), the exponential form elsewhere.
static inline __attribute__((always_inline)) vf tanh_v(vf x) {
  const vf a = x < 0.0f ? -x : x;
  const vf a2 = a * a;
  vf p = vf{} - 1382.0f / 155925.0f;
  p = p * a2 + 62.0f / 2835.0f;
  p = p * a2 - 17.0f / 315.0f;
  p = p * a2 + 2.0f / 15.0f;
  p = p * a2 - 1.0f / 3.0f;
  p = p * a2 * a + a;
  const vf q = 1.0f - 2.0f * recip_v(exp_v(2.0f * a) + 1.0f);
  const vf y = a < 0.3f ? p : q;
  return x < 0.0f ? -y : y;
}

}  // namespace irnn
