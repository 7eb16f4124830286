// Shared declarations for the tsbpf native add-ons.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace tsbpf {

// ---- errors.cc: errno -> JS Error {errno, code, op} ----
// Symbolic name of a (positive) errno value, including the kernel-internal ones
// (ENOTSUPP=524 ...) that bpf(2) leaks to user space. Never null.
std::string ErrnoCode(int err);
// Error with .errno (positive), .code and .op; message "op: strerror (CODE)".
Napi::Error ErrnoError(Napi::Env env, const char* op, int err);
// libbpf's warnings are captured instead of printed to stderr (set
// TSBPF_LIBBPF_VERBOSE=1 to print every libbpf message); ErrnoError appends the
// ones captured since the last ClearLibbpfMessages() as .detail.
void InstallLibbpfPrint();
void ClearLibbpfMessages();
// Throws ErrnoError. `err` may be negative (libbpf style) or positive.
[[noreturn]] void ThrowErrno(Napi::Env env, const char* op, int err);

// ---- args.cc: argument checking helpers (throw TypeError) ----
int32_t ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* name);
uint32_t ArgUint32(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);
Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* name);
// Optional object argument: returns an empty object when undefined/null.
Napi::Object ArgOptObject(const Napi::CallbackInfo& info, size_t i, const char* name);
// number | bigint -> u64 (negative numbers wrap as two's complement).
uint64_t ToUint64(Napi::Value v, const char* name);
// Optional object properties; return `dflt` when absent/undefined.
uint64_t OptUint64(Napi::Object o, const char* key, uint64_t dflt);
uint32_t OptUint32(Napi::Object o, const char* key, uint32_t dflt);
int32_t OptInt32(Napi::Object o, const char* key, int32_t dflt);
bool OptBool(Napi::Object o, const char* key, bool dflt);
bool HasOpt(Napi::Object o, const char* key);

// ---- per-file registration ----
// exports.<name> = a JS function named <name> that calls `fn`.
inline void ExportFunction(Napi::Object exports, const char* name, Napi::Function::Callback fn) {
  exports.Set(name, Napi::Function::New(exports.Env(), fn, name));
}

// tsbpf_bpf.node
void InitMap(Napi::Env env, Napi::Object exports);
void InitProg(Napi::Env env, Napi::Object exports);
void InitPerf(Napi::Env env, Napi::Object exports);
void InitLink(Napi::Env env, Napi::Object exports);
void InitInfo(Napi::Env env, Napi::Object exports);
void InitSys(Napi::Env env, Napi::Object exports);
void InitRingbuf(Napi::Env env, Napi::Object exports);
void InitTc(Napi::Env env, Napi::Object exports);
void InitHmac(Napi::Env env, Napi::Object exports);
// map.cc: forget size bookkeeping for an fd (called by close()).
void ForgetMapFd(int fd);

// ---- tsbpf_llvm.node ----
void InitLlvmEmit(Napi::Env env, Napi::Object exports);

}  // namespace tsbpf
