// Node binding of the fused recurrence: forward(opts) and backward(opts) on Float32Arrays the
// caller allocates (src/kernels/native.ts). Checks every buffer length before touching memory;
// optionally splits the batch over threads (rows are independent, so results do not change).
#include <napi.h>

#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

#include <string>
#include <thread>
#include <vector>

#include "recurrence.h"

namespace irnn {
void register_readout(Napi::Env env, Napi::Object exports);  // readout_addon.cc
}

namespace {

using irnn::Cell;
using irnn::Shape;

struct Reader {
  Napi::Env env;
  Napi::Object o;
  bool ok = true;

  int num(const char* key) {
    Napi::Value v = o.Get(key);
    if (!v.IsNumber()) return fail(std::string(key) + " must be a number"), 0;
    return v.As<Napi::Number>().Int32Value();
  }
  // A Float32Array of exactly n elements; null when optional and absent.
  float* arr(const char* key, size_t n, bool optional = false) {
    Napi::Value v = o.Get(key);
    if (optional && (v.IsUndefined() || v.IsNull())) return nullptr;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      return fail(std::string(key) + " must be a Float32Array"), nullptr;
    Napi::Float32Array a = v.As<Napi::Float32Array>();
    if (a.ElementLength() != n)
      return fail(std::string(key) + " has length " + std::to_string(a.ElementLength()) +
                  ", expected " + std::to_string(n)), nullptr;
    return a.Data();
  }
  void fail(const std::string& msg) {
    if (ok) Napi::TypeError::New(env, "irnn_kernels: " + msg).ThrowAsJavaScriptException();
    ok = false;
  }
};

bool read_shape(Reader& r, Shape& s, int& threads) {
  const int cell = r.num("cell");
  s = Shape{static_cast<Cell>(cell), r.num("T"), r.num("B"), r.num("H")};
  threads = r.o.Has("threads") ? r.num("threads") : 1;
  if (r.ok && (cell < 0 || cell > 3 || s.T < 1 || s.B < 1 || s.H < 1))
    r.fail("cell must be 0..3 and T, B, H positive");
  if (threads < 1) threads = 1;
  if (threads > s.B) threads = s.B;
  return r.ok;
}

// The optional input projection: inp [T, B, I], U [I, G*H], b [G*H] (forward only); in = null
// when absent.
irnn::Projection read_projection(Reader& r, const Shape& s, bool with_bias) {
  irnn::Projection p{s.T * s.B, 0, irnn::gates(s.cell) * s.H, nullptr, nullptr, nullptr};
  Napi::Value v = r.o.Get("inp");
  if (v.IsUndefined() || v.IsNull() || !r.ok) return p;
  p.I = r.num("I");
  if (p.I < 1) return r.fail("I must be positive"), p;
  p.in = r.arr("inp", (size_t)p.rows * p.I);
  p.U = r.arr("U", (size_t)p.I * p.N);
  if (with_bias) p.b = r.arr("b", p.N);
  return p;
}

// Subnormal floats (below 1.2e-38) appear when gradients decay over hundreds of steps, and x86
// CPUs take a slow microcode path for each one: a GRU step at T = 784 ran 5x slower. Within a
// kernel call they are flushed to zero (FTZ/DAZ), as deep learning libraries do; the caller's
// floating-point mode is restored afterwards.
class FlushSubnormals {
 public:
#if defined(__SSE__) || defined(_M_X64)
  FlushSubnormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
  ~FlushSubnormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#endif
};

// Runs fn(part) for part = 0..n-1, parts 1.. on their own threads (each sets its own mode).
template <typename F>
void split(int n, F fn) {
  auto run = [&fn](int p) {
    FlushSubnormals ftz;
    fn(p);
  };
  std::vector<std::thread> pool;
  for (int p = 1; p < n; ++p) pool.emplace_back(run, p);
  run(0);
  for (auto& th : pool) th.join();
}

// What both entry points read first: the options object, the shape and its derived sizes.
// `r.ok` is false (with a JavaScript exception pending) when the arguments are wrong.
struct Call {
  Reader r;
  Shape s{};
  int threads = 1;
  size_t T = 0, B = 0, H = 0, G = 0, A = 0;
  bool lstm = false, gru = false;

  explicit Call(const Napi::CallbackInfo& info)
      : r{info.Env(), info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(info.Env())} {
    if (!info[0].IsObject()) {
      r.fail("expected one options object");
      return;
    }
    if (!read_shape(r, s, threads)) return;
    T = s.T, B = s.B, H = s.H, G = irnn::gates(s.cell), A = irnn::aux_width(s.cell);
    lstm = s.cell == Cell::Lstm, gru = s.cell == Cell::Gru;
  }
};

Napi::Value Forward(const Napi::CallbackInfo& info) {
  Call c(info);
  if (!c.r.ok) return info.Env().Undefined();
  auto& [r, s, threads, T, B, H, G, A, lstm, gru] = c;
  float* x = r.arr("x", T * B * G * H);  // written first when the kernel projects the input
  irnn::Forward f{s,
                  x,
                  r.arr("W", H * G * H),
                  gru ? r.arr("bh", G * H) : nullptr,
                  r.arr("h0", B * H),
                  lstm ? r.arr("c0", B * H) : nullptr,
                  r.arr("states", T * B * H),
                  A ? r.arr("aux", T * B * A * H) : nullptr,
                  lstm ? r.arr("cT", B * H) : nullptr};
  irnn::Projection proj = read_projection(r, s, true);
  if (!r.ok) return info.Env().Undefined();
  FlushSubnormals ftz;
  if (proj.in) irnn::project(proj, x);
  split(threads, [&](int p) { irnn::forward_rows(f, s.B * p / threads, s.B * (p + 1) / threads); });
  return info.Env().Undefined();
}

Napi::Value Backward(const Napi::CallbackInfo& info) {
  Call c(info);
  if (!c.r.ok) return info.Env().Undefined();
  auto& [r, s, threads, T, B, H, G, A, lstm, gru] = c;
  irnn::Backward g{s,
                   r.arr("W", H * G * H),
                   r.arr("h0", B * H),
                   lstm ? r.arr("c0", B * H) : nullptr,
                   r.arr("states", T * B * H),
                   A ? r.arr("aux", T * B * A * H) : nullptr,
                   r.arr("dstates", T * B * H),
                   r.arr("dx", T * B * G * H),
                   r.arr("dW", H * G * H),
                   gru ? r.arr("dbh", G * H) : nullptr,
                   r.arr("dh0", B * H),
                   lstm ? r.arr("dc0", B * H) : nullptr,
                   r.arr("hNorm", T * B, true),  // the diagnostics' probe, when asked for
                   lstm ? r.arr("cNorm", T * B, true) : nullptr};
  irnn::Projection proj = read_projection(r, s, false);
  float* dU = proj.in ? r.arr("dU", (size_t)proj.I * G * H) : nullptr;
  float* db = proj.in ? r.arr("db", G * H) : nullptr;
  float* dinp = proj.in ? r.arr("dinp", T * B * proj.I) : nullptr;
  if (!r.ok) return info.Env().Undefined();
  FlushSubnormals ftz;
  // Scratch lives for one call only; the GRU needs its own drec, the others write it into dx.
  std::vector<float> wt(G * H * H), carry(2 * B * H), drec(gru ? T * B * G * H : 0);
  irnn::Scratch w{wt.data(), gru ? drec.data() : g.dx, carry.data(), carry.data() + B * H};
  irnn::prepare_backward(g, w);
  split(threads, [&](int p) { irnn::backward_rows(g, w, s.B * p / threads, s.B * (p + 1) / threads); });
  split(threads, [&](int p) { irnn::weight_grads(g, w, s.H * p / threads, s.H * (p + 1) / threads); });
  if (proj.in) irnn::project_grads(proj, g.dx, dU, db, dinp);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("forward", Napi::Function::New(env, Forward));
  exports.Set("backward", Napi::Function::New(env, Backward));
  exports.Set("simdWidth", Napi::Number::New(env, irnn::vector_width()));
  irnn::register_readout(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(irnn_kernels, Init)
