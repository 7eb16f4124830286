// tsbpf_proc.node: process-control calls (prctl, getppid, a background dlopen) for the compile worker, which
// must be able to load them at the very start of its life for the price of one small dlopen (no libbpf, no LLVM).
#include <dlfcn.h>
#include <napi.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// setParentDeathSignal(signal): prctl(PR_SET_PDEATHSIG, signal). The kernel sends `signal` to
// this process when the thread that forked it exits. Throws Error {errno, code, op} on failure.
Napi::Value SetParentDeathSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "signal must be a number");
  int sig = info[0].As<Napi::Number>().Int32Value();
  if (::prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(sig), 0, 0, 0) != 0) {
    int err = errno;
    Napi::Error e = Napi::Error::New(env, std::string("prctl(PR_SET_PDEATHSIG): ") + std::strerror(err));
    e.Set("errno", Napi::Number::New(env, err));
    e.Set("code", Napi::String::New(env, err == EINVAL ? "EINVAL" : "EPERM"));
    e.Set("op", Napi::String::New(env, "prctl"));
    throw e;
  }
  return env.Undefined();
}

// getppid(): the parent's pid now (node's process.ppid is read once, at start-up). After
// setParentDeathSignal, a parent other than the expected one means it died before the prctl.
Napi::Value GetPpid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ::getppid());
}

// preloadLibraries(paths): dlopen(path, RTLD_LAZY) each, in order, on a new detached thread, and
// keep them loaded. Mapping and relocating libLLVM (~10 ms, ~15 ms under node) then runs beside the
// worker's front end; node's own dlopen of the same addon later finds it loaded (glibc serialises
// the two: it waits at most for what is left). Only addons that register through
// napi_register_module_v1 (looked up by node after its dlopen, on its own thread), never one
// registering from a static constructor. Failures are left to that later dlopen to report.
Napi::Value PreloadLibraries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "paths must be an array of strings");
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<std::string> paths;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsString()) throw Napi::TypeError::New(env, "paths must be an array of strings");
    paths.push_back(v.As<Napi::String>().Utf8Value());
  }
  std::thread([paths = std::move(paths)]() {
    for (const std::string& p : paths) ::dlopen(p.c_str(), RTLD_LAZY);
  }).detach();
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("preloadLibraries", Napi::Function::New(env, PreloadLibraries, "preloadLibraries"));
  exports.Set("setParentDeathSignal", Napi::Function::New(env, SetParentDeathSignal, "setParentDeathSignal"));
  exports.Set("getppid", Napi::Function::New(env, GetPpid, "getppid"));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsbpf_proc, Init)
