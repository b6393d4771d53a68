// Node binding of the training step (step.h): trainStep(opts) -> {loss, norm}. Checks the shape,
// every buffer's type and length and every id and class before touching memory (src/kernels/step.ts
// describes the options).
#include <napi.h>

#include <string>

#include "step.h"
#include "napi_args.h"
#include "simd.h"

namespace irnn {
namespace {

// trainStep({cell, layers, B, T, H, I, vocab, O, readout, objective, threads, x | ids, y | cls, mask?,
//            w, next, grad?, h0?, c0?, hT?, cT?, optim: {kind, lr, momentum, b1, b2, eps, c1, c2, clip},
//            m?, v?, m1?, v1?}) -> {loss, norm}
Napi::Value TrainStep(const Napi::CallbackInfo& info) {
  Args a = args_of(info);
  if (!a.ok) return info.Env().Undefined();
  const int cell = a.num("cell", 0);
  StepSpec s{static_cast<Cell>(cell), a.num("layers", 1), a.num("B", 1), a.num("T", 1), a.num("H", 1), a.num("I", 1),
             a.num("vocab", 0), a.num("O", 1), static_cast<ReadFrom>(a.num("readout", 0)), static_cast<Objective>(a.num("objective", 0))};
  s.threads = a.o.Has("threads") ? a.num("threads", 1) : 1;
  if (a.ok && (cell > 3 || (int)s.readout > 1 || (int)s.objective > 1)) a.fail("cell, readout or objective out of range");
  if (a.ok && s.readout == ReadFrom::Every && s.objective != Objective::Xent) a.fail("a readout of every state needs objective xent");
  if (!a.ok) return info.Env().Undefined();
  const size_t B = s.B, T = s.T, H = s.H, GH = (size_t)gates(s.cell) * H, O = s.O;
  // The variables' sizes in the model's order.
  std::vector<size_t> sizes;
  if (s.vocab) sizes.push_back((size_t)s.vocab * s.I);
  for (int l = 0; l < s.layers; ++l) {
    for (size_t n : {(l ? H : (size_t)s.I) * GH, GH, H * GH}) sizes.push_back(n);
    if (s.cell == Cell::Gru) sizes.push_back(GH);
  }
  sizes.push_back(H * O);
  sizes.push_back(O);
  StepVars v;
  v.size = sizes;
  for (float* p : a.list("w", sizes, false)) v.w.push_back(p);
  v.next = a.list("next", sizes, false);
  v.grad = a.list("grad", sizes, true, true);
  StepBatch b;
  if (s.vocab) b.ids = a.i32("ids", B * T, s.vocab);
  else b.x = a.f32("x", B * T * s.I);
  const bool every = s.readout == ReadFrom::Every;
  if (s.objective == Objective::Mse) b.y = a.f32("y", B * O);
  else b.cls = a.i32("cls", every ? B * T : B, s.O);
  if (every) b.mask = a.f32("mask", B * T, true);
  const std::vector<size_t> states(s.layers, B * H);
  for (float* p : a.list("h0", states, true, true)) b.h0.push_back(p);
  if (s.cell == Cell::Lstm)
    for (float* p : a.list("c0", states, true, true)) b.c0.push_back(p);
  b.hT = a.list("hT", states, true, true);
  if (s.cell == Cell::Lstm) b.cT = a.list("cT", states, true, true);
  Napi::Value ov = a.o.Get("optim");
  if (!ov.IsObject()) a.fail("optim must be an object");
  if (!a.ok) return info.Env().Undefined();
  Napi::Object oo = ov.As<Napi::Object>();
  const int kind = (int)a.real(oo, "kind");
  StepOptim opt{static_cast<Optim>(kind), (float)a.real(oo, "lr"), (float)a.real(oo, "momentum"), (float)a.real(oo, "b1"),
                (float)a.real(oo, "b2"), (float)a.real(oo, "eps"), (float)a.real(oo, "c1"), (float)a.real(oo, "c2"),
                a.real(oo, "clip")};
  if (a.ok && (kind < 0 || kind > 2)) a.fail("optim.kind must be 0..2");
  if (a.ok && opt.kind != Optim::Sgd) {
    for (float* p : a.list("m", sizes, false)) opt.m.push_back(p);
    opt.m1 = a.list("m1", sizes, false);
  }
  if (a.ok && opt.kind == Optim::Adam) {
    for (float* p : a.list("v", sizes, false)) opt.v.push_back(p);
    opt.v1 = a.list("v1", sizes, false);
  }
  if (!a.ok) return info.Env().Undefined();
  const unsigned saved = flush_subnormals();
  const StepResult r = train_step(s, v, b, opt);
  restore_fp_mode(saved);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("loss", r.loss);
  out.Set("norm", r.norm);
  return out;
}

}  // namespace

void register_step(Napi::Env env, Napi::Object exports) {
  exports.Set("trainStep", Napi::Function::New(env, TrainStep));
}

}  // namespace irnn
