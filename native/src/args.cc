// Argument conversion helpers. Type mistakes are TypeErrors (no errno).
#include "common.h"

#include <cmath>

namespace tsbpf {

namespace {
[[noreturn]] void TypeErr(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

Napi::Value Arg(const Napi::CallbackInfo& info, size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

int64_t ToInt64(Napi::Value v, const char* name) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d != std::trunc(d)) TypeErr(v.Env(), std::string(name) + " must be an integer");
    return static_cast<int64_t>(d);
  }
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t r = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) TypeErr(v.Env(), std::string(name) + " is out of range");
    return r;
  }
  TypeErr(v.Env(), std::string(name) + " must be a number or bigint");
}
}  // namespace

int32_t ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  int64_t v = ToInt64(Arg(info, i), name);
  if (v < INT32_MIN || v > INT32_MAX) TypeErr(info.Env(), std::string(name) + " is out of range");
  return static_cast<int32_t>(v);
}

uint32_t ArgUint32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  int64_t v = ToInt64(Arg(info, i), name);
  if (v < 0 || v > UINT32_MAX) TypeErr(info.Env(), std::string(name) + " is out of range");
  return static_cast<uint32_t>(v);
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = Arg(info, i);
  if (!v.IsString()) TypeErr(info.Env(), std::string(name) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = Arg(info, i);
  if (!v.IsBuffer()) TypeErr(info.Env(), std::string(name) + " must be a Buffer");
  return v.As<Napi::Buffer<uint8_t>>();
}

Napi::Object ArgOptObject(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = Arg(info, i);
  if (v.IsUndefined() || v.IsNull()) return Napi::Object::New(info.Env());
  if (!v.IsObject()) TypeErr(info.Env(), std::string(name) + " must be an object");
  return v.As<Napi::Object>();
}

uint64_t ToUint64(Napi::Value v, const char* name) {
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t r = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) {
      // Accept negative bigints as two's complement (e.g. -1n for "all ones").
      int64_t s = v.As<Napi::BigInt>().Int64Value(&lossless);
      if (!lossless) TypeErr(v.Env(), std::string(name) + " is out of range");
      return static_cast<uint64_t>(s);
    }
    return r;
  }
  return static_cast<uint64_t>(ToInt64(v, name));
}

bool HasOpt(Napi::Object o, const char* key) {
  if (!o.Has(key)) return false;
  Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

uint64_t OptUint64(Napi::Object o, const char* key, uint64_t dflt) {
  return HasOpt(o, key) ? ToUint64(o.Get(key), key) : dflt;
}

uint32_t OptUint32(Napi::Object o, const char* key, uint32_t dflt) {
  if (!HasOpt(o, key)) return dflt;
  int64_t v = ToInt64(o.Get(key), key);
  if (v < 0 || v > UINT32_MAX) TypeErr(o.Env(), std::string(key) + " is out of range");
  return static_cast<uint32_t>(v);
}

int32_t OptInt32(Napi::Object o, const char* key, int32_t dflt) {
  if (!HasOpt(o, key)) return dflt;
  int64_t v = ToInt64(o.Get(key), key);
  if (v < INT32_MIN || v > INT32_MAX) TypeErr(o.Env(), std::string(key) + " is out of range");
  return static_cast<int32_t>(v);
}

bool OptBool(Napi::Object o, const char* key, bool dflt) {
  return HasOpt(o, key) ? o.Get(key).ToBoolean().Value() : dflt;
}

}  // namespace tsbpf
