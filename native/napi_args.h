// Reading a kernel's one options object in a Node binding: numbers with a minimum, typed arrays of
// an exact length (Int32 ids checked against their range), lists of Float32Arrays. The first
// problem throws a TypeError naming the key, and `ok` turns false so the kernel never runs.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace irnn {

struct Args {
  Napi::Env env;
  Napi::Object o;
  bool ok = true;

  void fail(const std::string& msg) {
    if (ok) Napi::TypeError::New(env, "irnn_kernels: " + msg).ThrowAsJavaScriptException();
    ok = false;
  }
  int num(const char* key, int min) {
    Napi::Value v = o.Get(key);
    if (!v.IsNumber()) return fail(std::string(key) + " must be a number"), 0;
    const int n = v.As<Napi::Number>().Int32Value();
    if (n < min) fail(std::string(key) + " must be at least " + std::to_string(min));
    return n;
  }
  double real(Napi::Object from, const char* key) {
    Napi::Value v = from.Get(key);
    if (!v.IsNumber()) return fail(std::string(key) + " must be a number"), 0.0;
    return v.As<Napi::Number>().DoubleValue();
  }
  // A typed array of type T with exactly n elements; null when optional and absent.
  template <typename T>
  T* typed(Napi::Value v, const std::string& what, size_t n, napi_typedarray_type type, bool optional) {
    if (optional && (v.IsUndefined() || v.IsNull())) return nullptr;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
      return fail(what + (type == napi_int32_array ? " must be an Int32Array" : " must be a Float32Array")), nullptr;
    Napi::TypedArrayOf<T> a = v.As<Napi::TypedArrayOf<T>>();
    if (a.ElementLength() != n)
      return fail(what + " has length " + std::to_string(a.ElementLength()) + ", expected " + std::to_string(n)), nullptr;
    return a.Data();
  }
  float* f32(const char* key, size_t n, bool optional = false) {
    return typed<float>(o.Get(key), key, n, napi_float32_array, optional);
  }
  // Int32 ids, each in 0..below-1 (they index memory).
  int32_t* i32(const char* key, size_t n, int below, bool optional = false) {
    int32_t* p = typed<int32_t>(o.Get(key), key, n, napi_int32_array, optional);
    for (size_t i = 0; p && ok && i < n; ++i)
      if (p[i] < 0 || p[i] >= below)
        fail(std::string(key) + "[" + std::to_string(i) + "] = " + std::to_string(p[i]) + " is not in 0.." + std::to_string(below - 1));
    return p;
  }
  // An array of `sizes.size()` Float32Arrays (entries may be null when `nullable`); empty when absent.
  std::vector<float*> list(const char* key, const std::vector<size_t>& sizes, bool optional, bool nullable = false) {
    std::vector<float*> out;
    Napi::Value v = o.Get(key);
    if (optional && (v.IsUndefined() || v.IsNull())) return out;
    if (!v.IsArray() || v.As<Napi::Array>().Length() != sizes.size())
      return fail(std::string(key) + " must be an array of " + std::to_string(sizes.size()) + " Float32Arrays"), out;
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length() && ok; ++i)
      out.push_back(typed<float>(a.Get(i), std::string(key) + "[" + std::to_string(i) + "]", sizes[i], napi_float32_array, nullable));
    return out;
  }
};

// The Args of a call whose first argument must be the options object.
inline Args args_of(const Napi::CallbackInfo& info) {
  Args a{info.Env(), info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(info.Env())};
  if (!info[0].IsObject()) a.fail("expected one options object");
  return a;
}

}  // namespace irnn
