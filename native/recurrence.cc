// Cell equations of the fused recurrence (forward and BPTT) over caller-owned buffers.
// Per step: one register-blocked product for the recurrent part, then one elementwise pass.
// The weight gradient is one product over all steps at the end, outside the sequential loop.
#include "recurrence.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "simd.h"

namespace irnn {

int gates(Cell c) { return c == Cell::Lstm ? 4 : c == Cell::Gru ? 3 : 1; }
int aux_width(Cell c) { return c == Cell::Lstm ? 6 : c == Cell::Gru ? 4 : 0; }
int vector_width() { return kVec; }

namespace {

// Row offset of (t, b0) in a [T, B, width] buffer.
inline size_t at(const Shape& s, int t, int b0, int width) {
  return ((size_t)t * s.B + b0) * width;
}

// h_{t-1} of rows b0.. : step t - 1 of the states, or h0 at t = 0.
inline const float* prev_h(const Shape& s, const float* states, const float* h0, int t, int b0) {
  return t ? states + at(s, t - 1, b0, s.H) : h0 + (size_t)b0 * s.H;
}

// c_{t-1} of batch row b for the LSTM row r of step t: the c block of the same row one step
// earlier in aux, or c0 at t = 0.
inline const float* prev_c(const Shape& s, const float* r, const float* c0, int t, int b) {
  return t ? r - (size_t)s.B * aux_width(Cell::Lstm) * s.H + 4 * s.H : c0 + (size_t)b * s.H;
}

// Elementwise part of one batch row. `omp simd` (with -fopenmp-simd: no OpenMP runtime) states
// what the compiler cannot prove: the gate blocks of a row never overlap, so the loop vectorises.
// r: [i f g o c tanh(c)] pre-activations in, activations out; cp: c_{t-1}.
void lstm_row(int H, float* __restrict r, const float* __restrict cp, float* __restrict h) {
#pragma omp simd
  for (int j = 0; j < H; ++j) {
    const float i = sigmoid_f(r[j]), fg = sigmoid_f(r[H + j]);
    const float g = tanh_f(r[2 * H + j]), o = sigmoid_f(r[3 * H + j]);
    const float c = fg * cp[j] + i * g, tc = tanh_f(c);
    r[j] = i, r[H + j] = fg, r[2 * H + j] = g, r[3 * H + j] = o;
    r[4 * H + j] = c, r[5 * H + j] = tc;
    h[j] = o * tc;
  }
}

// r: [h W + bh] in (n block: h W_n + bh_n), [r z n hW_n+bh_n] out; x: [x_r x_z x_n].
void gru_row(int H, float* __restrict r, const float* __restrict x, const float* __restrict hp,
             float* __restrict h) {
#pragma omp simd
  for (int j = 0; j < H; ++j) {
    const float rg = sigmoid_f(x[j] + r[j]), z = sigmoid_f(x[H + j] + r[H + j]);
    const float hn = r[2 * H + j], n = tanh_f(x[2 * H + j] + rg * hn);
    r[j] = rg, r[H + j] = z, r[2 * H + j] = n, r[3 * H + j] = hn;
    h[j] = (1.0f - z) * n + z * hp[j];
  }
}

// dh (carried) in, zeroed for the recurrent product to accumulate into; dc carried in and out.
void lstm_grad_row(int H, const float* __restrict r, const float* __restrict cp,
                   const float* __restrict ds, float* __restrict dh, float* __restrict dc,
                   float* __restrict d) {
#pragma omp simd
  for (int j = 0; j < H; ++j) {
    const float i = r[j], fg = r[H + j], gg = r[2 * H + j], o = r[3 * H + j];
    const float tc = r[5 * H + j];
    const float dhv = dh[j] + ds[j];
    const float dcv = dc[j] + dhv * o * (1.0f - tc * tc);
    d[j] = dcv * gg * i * (1.0f - i);
    d[H + j] = dcv * cp[j] * fg * (1.0f - fg);
    d[2 * H + j] = dcv * i * (1.0f - gg * gg);
    d[3 * H + j] = dhv * tc * o * (1.0f - o);
    dc[j] = dcv * fg;
    dh[j] = 0.0f;
  }
}

// dh (carried) in, the direct part z * dh out; dx gets the input-side gradients, d the
// recurrent-side ones (they differ in the n block by the factor r).
void gru_grad_row(int H, const float* __restrict r, const float* __restrict hp,
                  const float* __restrict ds, float* __restrict dh, float* __restrict dx,
                  float* __restrict d) {
#pragma omp simd
  for (int j = 0; j < H; ++j) {
    const float rg = r[j], z = r[H + j], n = r[2 * H + j], hn = r[3 * H + j];
    const float dhv = dh[j] + ds[j];
    const float dnp = dhv * (1.0f - z) * (1.0f - n * n);
    const float drp = dnp * hn * rg * (1.0f - rg);
    const float dzp = dhv * (hp[j] - n) * z * (1.0f - z);
    dx[j] = drp, dx[H + j] = dzp, dx[2 * H + j] = dnp;
    d[j] = drp, d[H + j] = dzp, d[2 * H + j] = dnp * rg;
    dh[j] = dhv * z;
  }
}

// The diagnostics' probe at step t, read before the step consumes the carried gradient: the norm
// of dh + ds (the total dL/dh_t) for each row, and for the lstm of the total dL/dc_t. Squares are
// summed in double: a gradient that vanished to 1e-20 would square below float's range.
void probe_rows(const Backward& g, const Scratch& w, int t, int b0, int b1) {
  const Shape& s = g.s;
  const int H = s.H;
  const bool lstm = s.cell == Cell::Lstm && g.cnorm;
  for (int b = b0; b < b1; ++b) {
    const float* dh = w.dh + (size_t)b * H;
    const float* ds = g.dstates + at(s, t, b, H);
    const float* r = lstm ? g.aux + at(s, t, b, 6 * H) : nullptr;
    double sh = 0.0, sc = 0.0;
    for (int j = 0; j < H; ++j) {
      const double v = (double)dh[j] + ds[j];
      sh += v * v;
      if (lstm) {
        const double o = r[3 * H + j], tc = r[5 * H + j];
        const double c = (double)w.dc[(size_t)b * H + j] + v * o * (1.0 - tc * tc);
        sc += c * c;
      }
    }
    const size_t k = (size_t)t * s.B + b;
    if (g.hnorm) g.hnorm[k] = (float)std::sqrt(sh);
    if (lstm) g.cnorm[k] = (float)std::sqrt(sc);
  }
}

void forward_rnn(const Forward& f, int b0, int b1) {
  const Shape& s = f.s;
  const int H = s.H, nb = b1 - b0;
  const bool relu = s.cell == Cell::RnnRelu;
  for (int t = 0; t < s.T; ++t) {
    const float* hp = prev_h(s, f.states, f.h0, t, b0);
    float* h = f.states + at(s, t, b0, H);
    gemm<false>(nb, H, H, hp, H, f.W, H, h, H, f.x + at(s, t, b0, H), H);
    const int n = nb * H;
    if (relu)
      for (int i = 0; i < n; ++i) h[i] = h[i] > 0.0f ? h[i] : 0.0f;
    else
      for (int i = 0; i < n; ++i) h[i] = tanh_f(h[i]);
  }
}

void forward_lstm(const Forward& f, int b0, int b1) {
  const Shape& s = f.s;
  const int H = s.H, G = 4 * H, A = 6 * H, nb = b1 - b0;
  for (int t = 0; t < s.T; ++t) {
    const float* hp = prev_h(s, f.states, f.h0, t, b0);
    const float* x = f.x + at(s, t, b0, G);
    float* a = f.aux + at(s, t, b0, A);
    gemm<false>(nb, G, H, hp, H, f.W, G, a, A, x, G);
    for (int b = 0; b < nb; ++b) {
      float* r = a + (size_t)b * A;
      const float* cp = prev_c(s, r, f.c0, t, b0 + b);
      lstm_row(H, r, cp, f.states + at(s, t, b0 + b, H));
      if (t == s.T - 1 && f.cT) std::memcpy(f.cT + (size_t)(b0 + b) * H, r + 4 * H, sizeof(float) * H);
    }
  }
}

void forward_gru(const Forward& f, int b0, int b1) {
  const Shape& s = f.s;
  const int H = s.H, G = 3 * H, A = 4 * H, nb = b1 - b0;
  for (int t = 0; t < s.T; ++t) {
    const float* hp = prev_h(s, f.states, f.h0, t, b0);
    const float* x = f.x + at(s, t, b0, G);
    float* a = f.aux + at(s, t, b0, A);
    gemm<false>(nb, G, H, hp, H, f.W, G, a, A, f.bh, 0);  // row stride 0: bh on every row
    for (int b = 0; b < nb; ++b)
      gru_row(H, a + (size_t)b * A, x + (size_t)b * G, hp + (size_t)b * H,
              f.states + at(s, t, b0 + b, H));
  }
}

// Each backward step turns dh (carried + from the loss) into the pre-activation gradients of
// step t, then carries dh_{t-1} = direct part + drec_t @ W^T.
void backward_rnn(const Backward& g, const Scratch& w, int b0, int b1) {
  const Shape& s = g.s;
  const int H = s.H, n = (b1 - b0) * H;
  const bool relu = s.cell == Cell::RnnRelu;
  float* dh = w.dh + (size_t)b0 * H;
  const bool probe = g.hnorm || g.cnorm;
  for (int t = s.T - 1; t >= 0; --t) {
    if (probe) probe_rows(g, w, t, b0, b1);
    const float* h = g.states + at(s, t, b0, H);
    const float* ds = g.dstates + at(s, t, b0, H);
    float* d = w.drec + at(s, t, b0, H);
    if (relu)
      for (int i = 0; i < n; ++i) d[i] = h[i] > 0.0f ? dh[i] + ds[i] : 0.0f;
    else
      for (int i = 0; i < n; ++i) d[i] = (dh[i] + ds[i]) * (1.0f - h[i] * h[i]);
    std::memset(dh, 0, sizeof(float) * n);
    gemm_acc<false>(b1 - b0, H, H, d, H, w.WT, H, dh, H);
  }
}

void backward_lstm(const Backward& g, const Scratch& w, int b0, int b1) {
  const Shape& s = g.s;
  const int H = s.H, G = 4 * H, A = 6 * H, nb = b1 - b0;
  float* dh = w.dh + (size_t)b0 * H;
  const bool probe = g.hnorm || g.cnorm;
  for (int t = s.T - 1; t >= 0; --t) {
    if (probe) probe_rows(g, w, t, b0, b1);
    const float* a = g.aux + at(s, t, b0, A);
    float* d = w.drec + at(s, t, b0, G);
    for (int b = 0; b < nb; ++b) {
      const float* r = a + (size_t)b * A;
      const float* cp = prev_c(s, r, g.c0, t, b0 + b);
      lstm_grad_row(H, r, cp, g.dstates + at(s, t, b0 + b, H), dh + (size_t)b * H,
                    w.dc + (size_t)(b0 + b) * H, d + (size_t)b * G);
    }
    gemm_acc<false>(nb, H, G, d, G, w.WT, H, dh, H);
  }
}

void backward_gru(const Backward& g, const Scratch& w, int b0, int b1) {
  const Shape& s = g.s;
  const int H = s.H, G = 3 * H, A = 4 * H, nb = b1 - b0;
  float* dh = w.dh + (size_t)b0 * H;
  const bool probe = g.hnorm || g.cnorm;
  for (int t = s.T - 1; t >= 0; --t) {
    if (probe) probe_rows(g, w, t, b0, b1);
    const float* a = g.aux + at(s, t, b0, A);
    const float* hp = prev_h(s, g.states, g.h0, t, b0);
    float* dx = g.dx + at(s, t, b0, G);
    float* d = w.drec + at(s, t, b0, G);
    for (int b = 0; b < nb; ++b)
      gru_grad_row(H, a + (size_t)b * A, hp + (size_t)b * H, g.dstates + at(s, t, b0 + b, H),
                   dh + (size_t)b * H, dx + (size_t)b * G, d + (size_t)b * G);
    gemm_acc<false>(nb, H, G, d, G, w.WT, H, dh, H);
  }
}

}  // namespace

void forward_rows(const Forward& f, int b0, int b1) {
  if (f.s.cell == Cell::Lstm) forward_lstm(f, b0, b1);
  else if (f.s.cell == Cell::Gru) forward_gru(f, b0, b1);
  else forward_rnn(f, b0, b1);
}

void prepare_backward(const Backward& g, const Scratch& w) {
  const int H = g.s.H, G = gates(g.s.cell) * H;
  for (int m = 0; m < H; ++m)
    for (int j = 0; j < G; ++j) w.WT[(size_t)j * H + m] = g.W[(size_t)m * G + j];
}

void backward_rows(const Backward& g, const Scratch& w, int b0, int b1) {
  const size_t n = (size_t)(b1 - b0) * g.s.H;
  std::memset(w.dh + (size_t)b0 * g.s.H, 0, sizeof(float) * n);
  std::memset(w.dc + (size_t)b0 * g.s.H, 0, sizeof(float) * n);
  if (g.s.cell == Cell::Lstm) backward_lstm(g, w, b0, b1);
  else if (g.s.cell == Cell::Gru) backward_gru(g, w, b0, b1);
  else backward_rnn(g, w, b0, b1);
  std::memcpy(g.dh0 + (size_t)b0 * g.s.H, w.dh + (size_t)b0 * g.s.H, sizeof(float) * n);
  if (g.dc0) std::memcpy(g.dc0 + (size_t)b0 * g.s.H, w.dc + (size_t)b0 * g.s.H, sizeof(float) * n);
}

void weight_grads(const Backward& g, const Scratch& w, int r0, int r1) {
  const Shape& s = g.s;
  const int H = s.H, G = gates(s.cell) * H, M = r1 - r0;
  float* dW = g.dW + (size_t)r0 * G;
  std::memset(dW, 0, sizeof(float) * M * G);
  // dW = [h0; s_1..s_{T-1}]^T @ drec
  gemm_acc<true>(M, G, s.B, g.h0 + r0, H, w.drec, G, dW, G);
  gemm_tn_chunked(M, G, (long)(s.T - 1) * s.B, g.states + r0, H, w.drec + (size_t)s.B * G, G, dW, G);
  if (g.dbh && r0 == 0) column_sums((long)s.T * s.B, G, w.drec, g.dbh);
}

void project(const Projection& p, float* x) {
  gemm<false>(p.rows, p.N, p.I, p.in, p.I, p.U, p.N, x, p.N, p.b, 0);  // b on every row
}

void project_grads(const Projection& p, const float* dx, float* dU, float* db, float* din) {
  std::memset(dU, 0, sizeof(float) * p.I * p.N);
  gemm_tn_chunked(p.I, p.N, p.rows, p.in, p.I, dx, p.N, dU, p.N);
  column_sums(p.rows, p.N, dx, db);
  if (p.I < kVec) {
    gemm_nt_dot(p.rows, p.I, p.N, dx, p.N, p.U, p.N, din, p.I);
  } else {
    std::vector<float> UT((size_t)p.N * p.I);
    for (int i = 0; i < p.I; ++i)
      for (int j = 0; j < p.N; ++j) UT[(size_t)j * p.I + i] = p.U[(size_t)i * p.N + j];
    std::memset(din, 0, sizeof(float) * p.rows * p.I);
    gemm_acc<false>(p.rows, p.I, p.N, dx, p.N, UT.data(), p.I, din, p.I);
  }
}

}  // namespace irnn
