// BPF programs: load (with verifier log) and test-run.
#include "common.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace tsbpf {

namespace {

constexpr uint32_t kRetryLogSize = 16u << 20;  // log size for the failure retry
constexpr uint32_t kMaxLogSize = 256u << 20;   // kernel limit is UINT_MAX >> 2

struct Attempt {
  int fd;
  int err;  // errno when fd < 0
  std::string log;
};

Attempt LoadOnce(uint32_t progType, const std::string& name, const std::string& license, const bpf_insn* insns,
                 size_t cnt, bpf_prog_load_opts opts, uint32_t logLevel, uint32_t logSize) {
  std::vector<char> buf;
  if (logLevel > 0) {
    buf.assign(logSize, 0);
    opts.log_level = logLevel;
    opts.log_size = logSize;
    opts.log_buf = buf.data();
  }
  errno = 0;
  int fd = bpf_prog_load(static_cast<enum bpf_prog_type>(progType), name.empty() ? nullptr : name.c_str(),
                         license.c_str(), insns, cnt, &opts);
  Attempt a{fd, fd < 0 ? (errno ? errno : -fd) : 0, {}};
  if (!buf.empty()) a.log.assign(buf.data(), strnlen(buf.data(), buf.size()));
  return a;
}

// progLoad(progType, insns, license, name, opts) -> {fd, log}
Napi::Value ProgLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t progType = ArgUint32(info, 0, "progType");
  auto insns = ArgBuffer(info, 1, "insns");
  std::string license = ArgString(info, 2, "license");
  std::string name = info.Length() > 3 && !info[3].IsUndefined() ? ArgString(info, 3, "name") : "";
  Napi::Object o = ArgOptObject(info, 4, "opts");
  if (insns.Length() == 0 || insns.Length() % sizeof(bpf_insn) != 0)
    throw Napi::RangeError::New(env, "progLoad: insns must be a non-empty multiple of 8 bytes");

  LIBBPF_OPTS(bpf_prog_load_opts, opts);
  opts.expected_attach_type = static_cast<enum bpf_attach_type>(OptUint32(o, "expectedAttachType", 0));
  opts.attach_btf_id = OptUint32(o, "attachBtfId", 0);
  opts.attach_btf_obj_fd = OptUint32(o, "attachBtfObjFd", 0);
  opts.attach_prog_fd = OptUint32(o, "attachProgFd", 0);
  opts.prog_flags = OptUint32(o, "progFlags", 0);
  opts.kern_version = OptUint32(o, "kernVersion", 0);
  std::vector<int> fdArray;
  if (HasOpt(o, "fdArray")) {
    Napi::Value v = o.Get("fdArray");
    if (!v.IsArray()) throw Napi::TypeError::New(env, "fdArray must be an array of fds");
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) fdArray.push_back(a.Get(i).As<Napi::Number>().Int32Value());
    opts.fd_array = fdArray.data();
  }
  // BPF-to-BPF subprograms (callbacks of bpf_loop / bpf_for_each_map_elem) need BTF func_info:
  // `funcInfo` is packed {insn_off u32, type_id u32} records against the BTF object `progBtfFd`.
  std::vector<uint8_t> funcInfo;
  if (HasOpt(o, "funcInfo")) {
    Napi::Value v = o.Get("funcInfo");
    if (!v.IsBuffer()) throw Napi::TypeError::New(env, "funcInfo must be a Buffer");
    auto b = v.As<Napi::Buffer<uint8_t>>();
    funcInfo.assign(b.Data(), b.Data() + b.Length());
    uint32_t recSize = OptUint32(o, "funcInfoRecSize", 8);
    if (recSize == 0 || funcInfo.size() % recSize != 0)
      throw Napi::RangeError::New(env, "progLoad: funcInfo must be a multiple of funcInfoRecSize bytes");
    opts.prog_btf_fd = OptUint32(o, "progBtfFd", 0);
    opts.func_info = funcInfo.data();
    opts.func_info_cnt = static_cast<uint32_t>(funcInfo.size() / recSize);
    opts.func_info_rec_size = recSize;
  }
  uint32_t logLevel = OptUint32(o, "logLevel", 0);
  uint32_t logSize = OptUint32(o, "logSize", logLevel ? (4u << 20) : 0);
  if (logLevel && logSize < 128) logSize = 128;  // kernel minimum

  const auto* code = reinterpret_cast<const bpf_insn*>(insns.Data());
  size_t cnt = insns.Length() / sizeof(bpf_insn);
  Attempt a = LoadOnce(progType, name, license, code, cnt, opts, logLevel, logSize);
  // A requested log that did not fit: the kernel (>= 6.4) reports ENOSPC even for
  // a program it accepted. Grow the buffer and load again.
  while (a.fd < 0 && a.err == ENOSPC && logLevel > 0 && logSize < kMaxLogSize) {
    logSize = std::min<uint64_t>(uint64_t(logSize) * 4, kMaxLogSize);
    a = LoadOnce(progType, name, license, code, cnt, opts, logLevel, logSize);
  }
  int err = a.err;
  if (a.fd < 0 && logLevel == 0) {
    // Failed without a log: load once more with log level 1 to get the
    // verifier's explanation. Keep the first errno (a truncated log turns the
    // second one into ENOSPC).
    Attempt b = LoadOnce(progType, name, license, code, cnt, opts, 1, kRetryLogSize);
    if (b.fd >= 0) a = b;
    else a.log = std::move(b.log);
  }
  if (a.fd < 0) {
    Napi::Error e = ErrnoError(env, "bpf_prog_load", err);
    e.Set("log", Napi::String::New(env, a.log));
    throw e;
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("fd", Napi::Number::New(env, a.fd));
  r.Set("log", Napi::String::New(env, a.log));
  return r;
}

// progTestRun(progFd, ctxIn | null) -> retval
Napi::Value ProgTestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgInt32(info, 0, "progFd");
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  if (info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined()) {
    auto ctx = ArgBuffer(info, 1, "ctxIn");
    opts.ctx_in = ctx.Data();
    opts.ctx_size_in = static_cast<uint32_t>(ctx.Length());
  }
  if (bpf_prog_test_run_opts(fd, &opts) != 0) ThrowErrno(env, "bpf_prog_test_run", errno);
  return Napi::Number::New(env, opts.retval);
}

// progTestRunTimed(progFd, dataIn, repeat) -> { retval, duration }: BPF_PROG_TEST_RUN `repeat`
// times on a packet (XDP and other packet programs); duration is the kernel's average in ns.
// A signal between repetitions ends the run with EINTR (a compile worker's exit, SIGCHLD, can land
// there): the measurement is then taken again, as an interrupted syscall is restarted.
Napi::Value ProgTestRunTimed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgInt32(info, 0, "progFd");
  auto data = ArgBuffer(info, 1, "dataIn");
  uint32_t repeat = ArgUint32(info, 2, "repeat");
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  opts.data_in = data.Data();
  opts.data_size_in = static_cast<uint32_t>(data.Length());
  opts.repeat = repeat;
  int err;
  while ((err = bpf_prog_test_run_opts(fd, &opts)) != 0 && errno == EINTR) {
  }
  if (err != 0) ThrowErrno(env, "bpf_prog_test_run", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("retval", Napi::Number::New(env, opts.retval));
  out.Set("duration", Napi::Number::New(env, opts.duration));
  return out;
}

// btfLoad(data) -> fd: BPF_BTF_LOAD of a raw BTF blob; throws with .log on failure.
Napi::Value BtfLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto data = ArgBuffer(info, 0, "data");
  LIBBPF_OPTS(bpf_btf_load_opts, opts);
  errno = 0;
  int fd = bpf_btf_load(data.Data(), data.Length(), &opts);
  if (fd >= 0) return Napi::Number::New(env, fd);
  int err = errno ? errno : -fd;
  std::vector<char> buf(1u << 20, 0);
  LIBBPF_OPTS(bpf_btf_load_opts, again);
  again.log_buf = buf.data();
  again.log_size = static_cast<uint32_t>(buf.size());
  again.log_level = 1;
  int fd2 = bpf_btf_load(data.Data(), data.Length(), &again);
  if (fd2 >= 0) return Napi::Number::New(env, fd2);
  Napi::Error e = ErrnoError(env, "bpf_btf_load", err);
  e.Set("log", Napi::String::New(env, std::string(buf.data(), strnlen(buf.data(), buf.size()))));
  throw e;
}

}  // namespace

void InitProg(Napi::Env env, Napi::Object exports) {
  ExportFunction(exports, "progLoad", ProgLoad);
  ExportFunction(exports, "progTestRun", ProgTestRun);
  ExportFunction(exports, "progTestRunTimed", ProgTestRunTimed);
  ExportFunction(exports, "btfLoad", BtfLoad);
}

}  // namespace tsbpf
