// tsbpf_proc.node: process-control syscalls (prctl, getppid) for the compile worker, which must be able to load
// them at the very start of its life for the price of one small dlopen (no libbpf, no LLVM).
#include <napi.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setParentDeathSignal", Napi::Function::New(env, SetParentDeathSignal, "setParentDeathSignal"));
  exports.Set("getppid", Napi::Function::New(env, GetPpid, "getppid"));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsbpf_proc, Init)
