// Node binding of the fused readout (readout.h): readout(opts) -> summed loss, fmaPeak(opts) ->
// {wall, perCore} GFLOP/s, and the optimizer passes (optim.h): adam(opts), sumSquares(array). Checks every buffer
// length and class id before touching memory.
#include <napi.h>

#include <string>

#include "napi_args.h"
#include "optim.h"
#include "peak.h"
#include "readout.h"

namespace irnn {
namespace {

// readout({N, F, V, X, W, c, y, weight?, dX?, dW?, dc?, threads?, keepBytes?}): dX, dW and dc
// together or none; keepBytes (tests) overrides Readout::keep_bytes.
Napi::Value ReadoutXent(const Napi::CallbackInfo& info) {
  Args a = args_of(info);
  if (!a.ok) return info.Env().Undefined();
  const int N = a.num("N", 1), F = a.num("F", 1), V = a.num("V", 1);
  const int threads = a.o.Has("threads") ? a.num("threads", 1) : 1;
  if (!a.ok) return info.Env().Undefined();
  Readout r{N, F, V,
            a.f32("X", (size_t)N * F),
            a.f32("W", (size_t)F * V),
            a.f32("c", V),
            a.typed<int32_t>(a.o.Get("y"), "y", N, napi_int32_array, false),
            a.f32("weight", N, true),
            a.f32("dX", (size_t)N * F, true),
            nullptr,
            nullptr};
  if (a.ok && a.o.Has("keepBytes")) r.keep_bytes = (size_t)a.num("keepBytes", 0);
  if (a.ok && r.dX) {
    r.dW = a.f32("dW", (size_t)F * V);
    r.dc = a.f32("dc", V);
  }
  if (!a.ok) return info.Env().Undefined();
  for (int i = 0; i < N; ++i)
    if (r.y[i] < 0 || r.y[i] >= V) {
      a.fail("y[" + std::to_string(i) + "] = " + std::to_string(r.y[i]) + " is not a class id in 0.." + std::to_string(V - 1));
      return info.Env().Undefined();
    }
  return Napi::Number::New(info.Env(), softmax_xent(r, threads));
}

// fmaPeak({threads, iters}) -> {wall, perCore} GFLOP/s.
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  Args a = args_of(info);
  const int threads = a.ok ? a.num("threads", 1) : 1;
  const int iters = a.ok ? a.num("iters", 1) : 1;
  if (!a.ok) return info.Env().Undefined();
  const Peak p = fma_peak(threads, iters);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("wall", p.wall);
  out.Set("perCore", p.per_core);
  return out;
}

// adam({g, m, v, w, m1, v1, w1, b1, b2, lr, eps, c1, c2}): one Adam step of one variable.
Napi::Value Adam(const Napi::CallbackInfo& info) {
  Args a = args_of(info);
  if (!a.ok) return info.Env().Undefined();
  Napi::Value gv = a.o.Get("g");
  if (!gv.IsTypedArray()) return a.fail("g must be a Float32Array"), info.Env().Undefined();
  const size_t n = gv.As<Napi::TypedArray>().ElementLength();
  auto real = [&](const char* key) {
    Napi::Value v = a.o.Get(key);
    if (!v.IsNumber()) a.fail(std::string(key) + " must be a number");
    return v.IsNumber() ? v.As<Napi::Number>().FloatValue() : 0.0f;
  };
  AdamStep s{n, a.f32("g", n), a.f32("m", n), a.f32("v", n), a.f32("w", n), a.f32("m1", n), a.f32("v1", n),
             a.f32("w1", n), real("b1"), real("b2"), real("lr"), real("eps"), real("c1"), real("c2")};
  if (!a.ok) return info.Env().Undefined();
  adam_step(s);
  return info.Env().Undefined();
}

// sumSquares(x: Float32Array) -> sum of x[i]^2 (double).
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    Napi::TypeError::New(info.Env(), "irnn_kernels: sumSquares expects a Float32Array").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  Napi::Float32Array x = info[0].As<Napi::Float32Array>();
  return Napi::Number::New(info.Env(), sum_squares(x.Data(), x.ElementLength()));
}

}  // namespace

void register_readout(Napi::Env env, Napi::Object exports) {
  exports.Set("readout", Napi::Function::New(env, ReadoutXent));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares));
}

}  // namespace irnn
