// Plain syscalls: close, mount, CPU counts; and the C++ runtime's symbol demangler.
#include "common.h"

#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cxxabi.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tsbpf {

namespace {

Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgInt32(info, 0, "fd");
  ForgetMapFd(fd);
  // Linux releases the fd even when close() reports EINTR: never retry.
  if (::close(fd) != 0 && errno != EINTR) ThrowErrno(env, "close", errno);
  return env.Undefined();
}

// mount(source, target, fstype, flags?, data?)
Napi::Value Mount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string source = ArgString(info, 0, "source");
  std::string target = ArgString(info, 1, "target");
  std::string fstype = ArgString(info, 2, "fstype");
  unsigned long flags = info.Length() > 3 && !info[3].IsUndefined() ? ArgUint32(info, 3, "flags") : 0;
  std::string data = info.Length() > 4 && !info[4].IsUndefined() ? ArgString(info, 4, "data") : "";
  if (::mount(source.c_str(), target.c_str(), fstype.c_str(), flags, data.empty() ? nullptr : data.c_str()) != 0)
    ThrowErrno(env, "mount", errno);
  return env.Undefined();
}

Napi::Value PossibleCpus(const Napi::CallbackInfo& info) {
  int n = libbpf_num_possible_cpus();
  if (n <= 0) ThrowErrno(info.Env(), "libbpf_num_possible_cpus", n < 0 ? -n : EINVAL);
  return Napi::Number::New(info.Env(), n);
}

// onlineCpus() -> number[] parsed from /sys/devices/system/cpu/online ("0-3,5")
Napi::Value OnlineCpus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::ifstream f("/sys/devices/system/cpu/online");
  std::string text;
  if (!f || !std::getline(f, text)) ThrowErrno(env, "read /sys/devices/system/cpu/online", errno ? errno : EIO);
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part.empty()) continue;
    char* end = nullptr;
    long lo = strtol(part.c_str(), &end, 10);
    long hi = (*end == '-') ? strtol(end + 1, nullptr, 10) : lo;
    for (long c = lo; c <= hi; c++) out.Set(n++, Napi::Number::New(env, static_cast<double>(c)));
  }
  return out;
}

// demangle(name) -> the C++ (Itanium ABI) name `name` stands for, or null when it is not one.
Napi::Value Demangle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  int status = 0;
  char* out = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) {
    std::free(out);
    return env.Null();
  }
  Napi::String s = Napi::String::New(env, out);
  std::free(out);
  return s;
}

}  // namespace

void InitSys(Napi::Env env, Napi::Object exports) {
  ExportFunction(exports, "close", Close);
  ExportFunction(exports, "mount", Mount);
  ExportFunction(exports, "possibleCpus", PossibleCpus);
  ExportFunction(exports, "onlineCpus", OnlineCpus);
  ExportFunction(exports, "demangle", Demangle);
}

}  // namespace tsbpf
