// perf_event_open(2) and attaching a BPF program to a perf event.
#include "common.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tsbpf {

namespace {

// perfEventOpen(attr, pid, cpu, groupFd, flags) -> fd
Napi::Value PerfEventOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "attr must be an object");
  Napi::Object a = info[0].As<Napi::Object>();
  int pid = ArgInt32(info, 1, "pid");
  int cpu = ArgInt32(info, 2, "cpu");
  int groupFd = ArgInt32(info, 3, "groupFd");
  unsigned long flags = info.Length() > 4 && !info[4].IsUndefined() ? ArgUint32(info, 4, "flags") : 0;

  perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = OptUint32(a, "type", 0);
  if (!HasOpt(a, "config")) throw Napi::TypeError::New(env, "attr.config is required");
  attr.config = OptUint64(a, "config", 0);
  if (HasOpt(a, "sampleFreq")) {
    attr.sample_freq = OptUint64(a, "sampleFreq", 0);
    attr.freq = OptBool(a, "freq", true);
  } else {
    attr.sample_period = OptUint64(a, "samplePeriod", 0);
    attr.freq = OptBool(a, "freq", false);
  }
  attr.sample_type = OptUint64(a, "sampleType", 0);
  attr.wakeup_events = OptUint32(a, "wakeupEvents", 0);
  attr.disabled = OptBool(a, "disabled", false);
  attr.inherit = OptBool(a, "inherit", false);
  attr.exclude_kernel = OptBool(a, "excludeKernel", false);
  attr.exclude_user = OptBool(a, "excludeUser", false);
  attr.exclude_hv = OptBool(a, "excludeHv", false);
  attr.exclude_idle = OptBool(a, "excludeIdle", false);
  attr.precise_ip = OptUint32(a, "preciseIp", 0) & 3;

  // config1 / bp_addr / kprobe_func / uprobe_path share one u64;
  // config2 / bp_len / kprobe_addr / probe_offset share the next.
  std::string path;  // must outlive the syscall
  if (HasOpt(a, "kprobeFunc") || HasOpt(a, "uprobePath")) {
    Napi::Value v = HasOpt(a, "kprobeFunc") ? a.Get("kprobeFunc") : a.Get("uprobePath");
    if (!v.IsString()) throw Napi::TypeError::New(env, "kprobeFunc/uprobePath must be a string");
    path = v.As<Napi::String>().Utf8Value();
    attr.config1 = reinterpret_cast<uint64_t>(path.c_str());
  } else if (HasOpt(a, "bpAddr")) {
    attr.bp_addr = OptUint64(a, "bpAddr", 0);
  } else {
    attr.config1 = OptUint64(a, "config1", 0);
  }
  if (HasOpt(a, "bpLen")) attr.bp_len = OptUint64(a, "bpLen", 0);
  else if (HasOpt(a, "probeOffset")) attr.probe_offset = OptUint64(a, "probeOffset", 0);
  else if (HasOpt(a, "kprobeAddr")) attr.kprobe_addr = OptUint64(a, "kprobeAddr", 0);
  else attr.config2 = OptUint64(a, "config2", 0);
  attr.bp_type = OptUint32(a, "bpType", 0);

  int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, pid, cpu, groupFd, flags | PERF_FLAG_FD_CLOEXEC));
  if (fd < 0) ThrowErrno(env, "perf_event_open", errno);
  return Napi::Number::New(env, fd);
}

// perfEventSetBpf(perfFd, progFd): PERF_EVENT_IOC_SET_BPF then PERF_EVENT_IOC_ENABLE
Napi::Value PerfEventSetBpf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int perfFd = ArgInt32(info, 0, "perfFd");
  int progFd = ArgInt32(info, 1, "progFd");
  if (ioctl(perfFd, PERF_EVENT_IOC_SET_BPF, progFd) != 0) ThrowErrno(env, "PERF_EVENT_IOC_SET_BPF", errno);
  if (ioctl(perfFd, PERF_EVENT_IOC_ENABLE, 0) != 0) ThrowErrno(env, "PERF_EVENT_IOC_ENABLE", errno);
  return env.Undefined();
}

// perfEventEnable(perfFd, enable): PERF_EVENT_IOC_ENABLE / _DISABLE
Napi::Value PerfEventEnable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int perfFd = ArgInt32(info, 0, "perfFd");
  bool enable = info.Length() < 2 || info[1].ToBoolean().Value();
  if (ioctl(perfFd, enable ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0) != 0)
    ThrowErrno(env, enable ? "PERF_EVENT_IOC_ENABLE" : "PERF_EVENT_IOC_DISABLE", errno);
  return env.Undefined();
}

}  // namespace

void InitPerf(Napi::Env env, Napi::Object exports) {
  ExportFunction(exports, "perfEventOpen", PerfEventOpen);
  ExportFunction(exports, "perfEventSetBpf", PerfEventSetBpf);
  ExportFunction(exports, "perfEventEnable", PerfEventEnable);
}

}  // namespace tsbpf
