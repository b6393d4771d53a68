// The training step (step.h): forward through the layers, the readout's loss and its gradient,
// backward through the layers, then the norm of all gradients and one update pass per variable.
// Gradients are computed for the summed loss where that is cheaper (the softmax readout over every
// state) and scaled once, in the update: everything before it is linear in the loss.
#include "step.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "optim.h"
#include "readout.h"
#include "seq.h"
#include "simd.h"

namespace irnn {
namespace {

// Buffers kept between calls by the calling thread: steady-state training allocates nothing.
struct Scratch {
  std::vector<std::vector<float>> saved, grad;  // per layer; per variable
  std::vector<float> rows, drows, hlast, dlast, din, dlanes_a, dlanes_b, out;
  std::vector<int32_t> ytm;
  std::vector<float> wtm;
};

template <class T>
T* sized(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// The readout of the last state: out = h V + c, its loss (mean per target, per output unit for
// squared error) and the gradients of that mean: dV, dc, and dh [B, H].
double last_readout(const StepSpec& s, const StepBatch& batch, const float* h, const float* V, const float* c,
                    float* dV, float* dc, float* dh, std::vector<float>& outbuf) {
  const int B = s.B, H = s.H, O = s.O;
  float* out = sized(outbuf, (size_t)B * O);
  for (int b = 0; b < B; ++b)
    for (int o = 0; o < O; ++o) {
      float z = c[o];
      for (int m = 0; m < H; ++m) z += h[(size_t)b * H + m] * V[(size_t)m * O + o];
      out[(size_t)b * O + o] = z;
    }
  double loss = 0.0;
  if (s.objective == Objective::Mse) {
    const float k = 2.0f / (float)(B * O);
    for (size_t i = 0; i < (size_t)B * O; ++i) {
      const float e = out[i] - batch.y[i];
      loss += (double)e * e;
      out[i] = k * e;  // d(mean)/d(out)
    }
    loss /= (double)B * O;
  } else {
    for (int b = 0; b < B; ++b) {
      float* z = out + (size_t)b * O;
      float mx = z[0];
      for (int o = 1; o < O; ++o) mx = std::max(mx, z[o]);
      double sum = 0.0;
      for (int o = 0; o < O; ++o) sum += std::exp((double)z[o] - mx);
      const int y = batch.cls[b];
      loss += (double)mx + std::log(sum) - z[y];
      for (int o = 0; o < O; ++o) z[o] = (float)(std::exp((double)z[o] - mx) / sum) / (float)B;
      z[y] -= 1.0f / (float)B;
    }
    loss /= B;
  }
  std::memset(dV, 0, sizeof(float) * H * O);
  std::memset(dc, 0, sizeof(float) * O);
  for (int b = 0; b < B; ++b) {
    const float* d = out + (size_t)b * O;
    for (int o = 0; o < O; ++o) dc[o] += d[o];
    for (int m = 0; m < H; ++m) {
      const float hv = h[(size_t)b * H + m];
      float acc = 0.0f;
      for (int o = 0; o < O; ++o) {
        dV[(size_t)m * O + o] += hv * d[o];
        acc += V[(size_t)m * O + o] * d[o];
      }
      dh[(size_t)b * H + m] = acc;
    }
  }
  return loss;
}

// Per-block pointers to the states ([T][H][L]) of a layer's saved buffer, or of a buffer laid out
// the same way (the gradient flowing down from the layer above).
std::vector<const float*> lanes_of(const SeqLayer& l, const float* base) {
  std::vector<const float*> p;
  for (const SeqBlock& k : seq_blocks(l)) p.push_back(base + k.states);
  return p;
}

}  // namespace

StepResult train_step(const StepSpec& s, const StepVars& vars, const StepBatch& batch, const StepOptim& opt) {
  thread_local Scratch sc;
  const int nl = s.layers, B = s.B, T = s.T, H = s.H;
  const bool gru = s.cell == Cell::Gru, lstm = s.cell == Cell::Lstm;
  const size_t nvars = vars.w.size();
  // Variable indices in the model's order.
  int at = 0;
  const int emb = s.vocab > 0 ? at++ : -1;
  std::vector<int> iU(nl), ib(nl), iW(nl), ibh(nl, -1);
  for (int l = 0; l < nl; ++l) {
    iU[l] = at++, ib[l] = at++, iW[l] = at++;
    if (gru) ibh[l] = at++;
  }
  const int iV = at++, ic = at++;

  sc.grad.resize(nvars);
  for (size_t k = 0; k < nvars; ++k) sized(sc.grad[k], vars.size[k]);
  auto g = [&](int k) { return sc.grad[k].data(); };

  std::vector<SeqLayer> lay(nl);
  sc.saved.resize(nl);
  SeqInput input0;
  if (emb >= 0) {
    input0.emb = vars.w[emb], input0.ids = batch.ids, input0.id_st = 1, input0.id_sb = T;
  } else {
    input0.rows = batch.x, input0.st = s.I, input0.sb = (long)T * s.I;
  }
  std::vector<std::vector<const float*>> lanes(nl);
  const bool every = s.readout == ReadFrom::Every;
  float* top_rows = every ? sized(sc.rows, (size_t)T * B * H) : nullptr;
  float* hlast = sized(sc.hlast, (size_t)B * H);

  // Forward.
  for (int l = 0; l < nl; ++l) {
    lay[l] = SeqLayer{s.cell, T, B, H, l ? H : s.I, vars.w[iU[l]], vars.w[ib[l]], vars.w[iW[l]], gru ? vars.w[ibh[l]] : nullptr};
    SeqForward f;
    f.in = input0;
    if (l) f.in = SeqInput{}, f.in.lanes = lanes[l - 1].data();
    f.h0 = l < (int)batch.h0.size() ? batch.h0[l] : nullptr;
    f.c0 = lstm && l < (int)batch.c0.size() ? batch.c0[l] : nullptr;
    f.saved = sized(sc.saved[l], seq_saved_floats(lay[l]));
    const bool top = l == nl - 1;
    f.states = top ? top_rows : nullptr;
    f.hT = l < (int)batch.hT.size() && batch.hT[l] ? batch.hT[l] : top && !every ? hlast : nullptr;
    f.cT = lstm && l < (int)batch.cT.size() ? batch.cT[l] : nullptr;
    seq_forward(lay[l], f, 1);
    lanes[l] = lanes_of(lay[l], f.saved);
    if (top && !every && f.hT != hlast) std::memcpy(hlast, f.hT, sizeof(float) * B * H);
  }

  // The readout and its loss.
  double loss = 0.0, scale = 1.0;
  float* dlast = nullptr;
  float* drows = nullptr;
  if (!every) {
    dlast = sized(sc.dlast, (size_t)B * H);
    loss = last_readout(s, batch, hlast, vars.w[iV], vars.w[ic], g(iV), g(ic), dlast, sc.out);
  } else {
    // Targets and weights in the states' time-major row order.
    int32_t* y = sized(sc.ytm, (size_t)T * B);
    float* wt = batch.mask ? sized(sc.wtm, (size_t)T * B) : nullptr;
    double count = 0.0;
    for (int b = 0; b < B; ++b)
      for (int t = 0; t < T; ++t) {
        y[(size_t)t * B + b] = batch.cls[(size_t)b * T + t];
        if (wt) wt[(size_t)t * B + b] = batch.mask[(size_t)b * T + t], count += batch.mask[(size_t)b * T + t];
      }
    if (!wt) count = (double)T * B;
    drows = sized(sc.drows, (size_t)T * B * H);
    Readout r{T * B, H, s.O, top_rows, vars.w[iV], vars.w[ic], y, wt, drows, g(iV), g(ic)};
    const double sum = softmax_xent(r, s.threads);
    loss = sum / count;
    scale = 1.0 / count;  // the gradients above are of the sum
  }

  // Backward, top layer first; each layer's input gradient is the next one's loss gradient.
  float* down = nullptr;
  for (int l = nl - 1; l >= 0; --l) {
    SeqBackward gb;
    gb.in = input0;
    if (l) gb.in = SeqInput{}, gb.in.lanes = lanes[l - 1].data();
    gb.saved = sc.saved[l].data();
    std::vector<const float*> ds_lanes;
    if (l == nl - 1) {
      if (every) gb.ds = drows;
      else gb.ds_last = dlast;
    } else {
      ds_lanes = lanes_of(lay[l], down);
      gb.ds_lanes = ds_lanes.data();
    }
    gb.dU = g(iU[l]), gb.db = g(ib[l]), gb.dW = g(iW[l]), gb.dbh = gru ? g(ibh[l]) : nullptr;
    std::vector<float*> din_lanes;
    if (l > 0) {
      // The lower layer's loss gradient, laid out as its saved buffer (only the states parts are used).
      std::vector<float>& buf = (nl - 1 - l) % 2 ? sc.dlanes_a : sc.dlanes_b;
      float* base = sized(buf, seq_saved_floats(lay[l - 1]));
      for (const SeqBlock& k : seq_blocks(lay[l - 1])) din_lanes.push_back(base + k.states);
      gb.din_lanes = din_lanes.data();
      seq_backward(lay[l], gb, 1);
      down = base;
    } else {
      if (emb >= 0) gb.din = sized(sc.din, (size_t)T * B * s.I);
      seq_backward(lay[l], gb, 1);
    }
  }
  if (emb >= 0) {  // scatter-add the input gradient into the rows looked up, in row order
    const int E = s.I;
    float* de = g(emb);
    std::memset(de, 0, sizeof(float) * vars.size[emb]);
    for (int t = 0; t < T; ++t)
      for (int b = 0; b < B; ++b) {
        float* dst = de + (size_t)batch.ids[(size_t)b * T + t] * E;
        const float* src = sc.din.data() + ((size_t)t * B + b) * E;
        for (int e = 0; e < E; ++e) dst[e] += src[e];
      }
  }

  // The global norm, clipping and the update.
  double sq = 0.0;
  for (size_t k = 0; k < nvars; ++k) sq += sum_squares(g((int)k), vars.size[k]);
  const double norm = std::sqrt(sq) * scale;
  const double clipped = opt.clip >= 0.0 && norm > opt.clip ? opt.clip / norm : 1.0;
  const float factor = (float)(scale * clipped);
  for (size_t k = 0; k < nvars; ++k) {
    float* gk = g((int)k);
    const size_t n = vars.size[k];
    if (!vars.grad.empty() && vars.grad[k]) {
      const float sf = (float)scale;
      for (size_t i = 0; i < n; ++i) vars.grad[k][i] = gk[i] * sf;
    }
    const float* w = vars.w[k];
    float* w1 = vars.next[k];
    if (opt.kind == Optim::Adam) {
      AdamStep a{n, gk, opt.m[k], opt.v[k], w, opt.m1[k], opt.v1[k], w1, opt.b1, opt.b2, opt.lr, opt.eps, opt.c1, opt.c2};
      adam_step(a, factor);
    } else if (opt.kind == Optim::Momentum) {
      const float* m = opt.m[k];
      float* m1 = opt.m1[k];
      const float mu = opt.momentum, c = -opt.lr;
#pragma omp simd
      for (size_t i = 0; i < n; ++i) {
        const float acc = mu * m[i] + gk[i] * factor;
        m1[i] = acc;
        w1[i] = w[i] + c * acc;
      }
    } else {
      const float c = -opt.lr;
#pragma omp simd
      for (size_t i = 0; i < n; ++i) w1[i] = w[i] + c * (gk[i] * factor);
    }
  }
  return StepResult{loss, norm};
}

}  // namespace irnn
