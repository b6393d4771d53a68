// Node binding of the fused recurrence: forward(opts), backward(opts) and savedLength(opts) on
// Float32Arrays the caller allocates (src/kernels/native.ts), run by the sequence engine (seq.h).
// Checks every buffer length before touching memory; optionally spreads blocks of batch rows over
// threads (blocks are independent and summed in a fixed order, so results do not change).
#include <napi.h>

#include <string>

#include "seq.h"
#include "simd.h"

namespace irnn {
void register_readout(Napi::Env env, Napi::Object exports);  // readout_addon.cc
void register_step(Napi::Env env, Napi::Object exports);     // step_addon.cc
}

namespace {

using irnn::Cell;

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

bool read_shape(Reader& r, irnn::SeqLayer& l, int& threads) {
  const int cell = r.num("cell");
  l = irnn::SeqLayer{static_cast<Cell>(cell), r.num("T"), r.num("B"), r.num("H"), 0, nullptr, nullptr, nullptr, nullptr};
  threads = r.o.Has("threads") ? r.num("threads") : 1;
  if (r.ok && (cell < 0 || cell > 3 || l.T < 1 || l.B < 1 || l.H < 1))
    r.fail("cell must be 0..3 and T, B, H positive");
  if (threads < 1) threads = 1;
  return r.ok;
}

// The input projection of the tfjs engine: inp [T, B, I] time-major rows and U [I, G*H] (b
// [G*H] in the forward pass). Absent (I = 0): the caller gives ready projections x instead.
bool read_projection(Reader& r, irnn::SeqLayer& l, irnn::SeqInput& in, bool with_bias) {
  Napi::Value v = r.o.Get("inp");
  const size_t GH = (size_t)irnn::gates(l.cell) * l.H;
  if (v.IsUndefined() || v.IsNull() || !r.ok) return false;
  l.I = r.num("I");
  if (l.I < 1) return r.fail("I must be positive"), false;
  in.rows = r.arr("inp", (size_t)l.T * l.B * l.I);
  in.st = (long)l.B * l.I, in.sb = l.I;
  l.U = r.arr("U", (size_t)l.I * GH);
  if (with_bias) l.b = r.arr("b", GH);
  return true;
}

// Runs fn with subnormals flushed to zero (FTZ/DAZ), the caller's mode restored after.
template <typename F>
void flushed(F fn) {
  const unsigned saved = irnn::flush_subnormals();
  fn();
  irnn::restore_fp_mode(saved);
}

// What every entry point reads first: the options object, the shape and the layer it describes.
// `r.ok` is false (with a JavaScript exception pending) when the arguments are wrong.
struct Call {
  Reader r;
  irnn::SeqLayer l{};
  int threads = 1;
  size_t T = 0, B = 0, H = 0, G = 0;
  bool lstm = false, gru = false;

  explicit Call(const Napi::CallbackInfo& info)
      : r{info.Env(), info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(info.Env())} {
    if (!info[0].IsObject()) {
      r.fail("expected one options object");
      return;
    }
    if (!read_shape(r, l, threads)) return;
    T = l.T, B = l.B, H = l.H, G = irnn::gates(l.cell);
    lstm = l.cell == Cell::Lstm, gru = l.cell == Cell::Gru;
  }
  size_t saved() const { return irnn::seq_saved_floats(l); }
};

// savedLength({cell, T, B, H}): floats of the buffer (`aux`) a forward pass saves for backward.
Napi::Value SavedLength(const Napi::CallbackInfo& info) {
  Call c(info);
  if (!c.r.ok) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), (double)c.saved());
}

Napi::Value Forward(const Napi::CallbackInfo& info) {
  Call c(info);
  if (!c.r.ok) return info.Env().Undefined();
  auto& [r, l, threads, T, B, H, G, lstm, gru] = c;
  irnn::SeqForward f;
  const bool proj = read_projection(r, l, f.in, true);
  if (!proj) f.x = r.arr("x", T * B * G * H);
  l.W = r.arr("W", H * G * H);
  l.bh = gru ? r.arr("bh", G * H) : nullptr;
  f.h0 = r.arr("h0", B * H);
  f.c0 = lstm ? r.arr("c0", B * H) : nullptr;
  f.states = r.arr("states", T * B * H);
  f.saved = r.arr("aux", c.saved());
  f.cT = lstm ? r.arr("cT", B * H) : nullptr;
  if (!r.ok) return info.Env().Undefined();
  flushed([&] { irnn::seq_forward(l, f, threads); });
  return info.Env().Undefined();
}

Napi::Value Backward(const Napi::CallbackInfo& info) {
  Call c(info);
  if (!c.r.ok) return info.Env().Undefined();
  auto& [r, l, threads, T, B, H, G, lstm, gru] = c;
  irnn::SeqBackward g;
  g.projected = read_projection(r, l, g.in, false);
  l.W = r.arr("W", H * G * H);
  g.saved = r.arr("aux", c.saved());
  g.ds = r.arr("dstates", T * B * H);
  g.dW = r.arr("dW", H * G * H);
  g.dbh = gru ? r.arr("dbh", G * H) : nullptr;
  g.dh0 = r.arr("dh0", B * H);
  g.dc0 = lstm ? r.arr("dc0", B * H) : nullptr;
  g.hnorm = r.arr("hNorm", T * B, true);  // the diagnostics' probe, when asked for
  g.cnorm = lstm ? r.arr("cNorm", T * B, true) : nullptr;
  if (g.projected) {
    g.dU = r.arr("dU", (size_t)l.I * G * H);
    g.db = r.arr("db", G * H);
    g.din = r.arr("dinp", T * B * l.I);
  } else {
    g.dx = r.arr("dx", T * B * G * H);
  }
  if (!r.ok) return info.Env().Undefined();
  flushed([&] { irnn::seq_backward(l, g, threads); });
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("forward", Napi::Function::New(env, Forward));
  exports.Set("backward", Napi::Function::New(env, Backward));
  exports.Set("savedLength", Napi::Function::New(env, SavedLength));
  exports.Set("simdWidth", Napi::Number::New(env, irnn::vector_width()));
  irnn::register_readout(env, exports);
  irnn::register_step(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(irnn_kernels, Init)
