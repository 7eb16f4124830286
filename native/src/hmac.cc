// HMAC-SHA256 for the compile cache's entries (runtime/compile/compile-cache.ts), computed by the
// OpenSSL that node itself is linked with (its exported symbols; the same code node:crypto's
// createHmac runs), so a cache hit needs no node:crypto: loading it cost ~2 ms of every cached
// start. Nothing hand-written: OpenSSL's one-shot MAC and its constant-time comparison.
#include "common.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace tsbpf {

namespace {

constexpr size_t kSha256Bytes = 32;

// The HMAC-SHA256 of `data` under `key`, into `out` (32 bytes); false when OpenSSL fails.
bool HmacSha256(const Napi::Buffer<uint8_t>& key, const Napi::Buffer<uint8_t>& data, unsigned char* out) {
  size_t len = 0;
  unsigned char* mac = EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.Data(), key.Length(), data.Data(), data.Length(), out, kSha256Bytes, &len);
  return mac != nullptr && len == kSha256Bytes;
}

// hmacSha256(key, data) -> Buffer (32 bytes).
Napi::Value HmacSha256Value(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> key = ArgBuffer(info, 0, "key");
  Napi::Buffer<uint8_t> data = ArgBuffer(info, 1, "data");
  unsigned char out[kSha256Bytes];
  if (!HmacSha256(key, data, out)) {
    Napi::Error::New(env, "tsbpf: HMAC-SHA256 failed (OpenSSL)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, out, kSha256Bytes);
}

// hmacSha256Verify(key, data, mac) -> whether `mac` is the HMAC-SHA256 of `data` under `key`,
// compared in constant time (CRYPTO_memcmp).
Napi::Value HmacSha256Verify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> key = ArgBuffer(info, 0, "key");
  Napi::Buffer<uint8_t> data = ArgBuffer(info, 1, "data");
  Napi::Buffer<uint8_t> mac = ArgBuffer(info, 2, "mac");
  unsigned char out[kSha256Bytes];
  if (mac.Length() != kSha256Bytes || !HmacSha256(key, data, out)) return Napi::Boolean::New(env, false);
  return Napi::Boolean::New(env, CRYPTO_memcmp(out, mac.Data(), kSha256Bytes) == 0);
}

}  // namespace

void InitHmac(Napi::Env env, Napi::Object exports) {
  ExportFunction(exports, "hmacSha256", HmacSha256Value);
  ExportFunction(exports, "hmacSha256Verify", HmacSha256Verify);
}

}  // namespace tsbpf
