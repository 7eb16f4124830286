// Attach points that yield an fd: raw tracepoints and bpf links.
#include "common.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace tsbpf {

namespace {

// rawTracepointOpen(name, progFd) -> fd
Napi::Value RawTracepointOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  int progFd = ArgInt32(info, 1, "progFd");
  int fd = bpf_raw_tracepoint_open(name.c_str(), progFd);
  if (fd < 0) ThrowErrno(env, "bpf_raw_tracepoint_open", errno ? errno : -fd);
  return Napi::Number::New(env, fd);
}

// BPF_LINK_CREATE's uprobe_multi attributes (Linux 6.6), laid out by hand: the libbpf and uapi
// headers this addon builds against predate them.
struct UprobeMultiLinkAttr {
  uint32_t prog_fd;
  uint32_t target_fd;
  uint32_t attach_type;
  uint32_t flags;
  uint64_t path;
  uint64_t offsets;
  uint64_t ref_ctr_offsets;
  uint64_t cookies;
  uint32_t cnt;
  uint32_t multi_flags;
  uint32_t pid;
  uint32_t pad;
};

// uprobeMulti: { path, offsets: bigint[], refCtrOffsets?: bigint[], flags?, pid? } -> link fd
Napi::Value UprobeMultiLinkCreate(const Napi::CallbackInfo& info, int progFd, uint32_t attachType, Napi::Object um) {
  Napi::Env env = info.Env();
  std::string path = um.Get("path").ToString().Utf8Value();
  auto u64s = [&](const char* key) {
    std::vector<uint64_t> out;
    if (!HasOpt(um, key)) return out;
    Napi::Value v = um.Get(key);
    if (!v.IsArray()) throw Napi::TypeError::New(env, std::string("uprobeMulti.") + key + " must be an array");
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) out.push_back(ToUint64(a.Get(i), "uprobeMulti[]"));
    return out;
  };
  std::vector<uint64_t> offsets = u64s("offsets");
  std::vector<uint64_t> refCtr = u64s("refCtrOffsets");
  if (offsets.empty()) throw Napi::TypeError::New(env, "uprobeMulti.offsets must not be empty");
  if (!refCtr.empty() && refCtr.size() != offsets.size()) throw Napi::TypeError::New(env, "uprobeMulti.refCtrOffsets must match offsets");
  UprobeMultiLinkAttr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_fd = static_cast<uint32_t>(progFd);
  attr.attach_type = attachType;
  attr.path = reinterpret_cast<uint64_t>(path.c_str());
  attr.offsets = reinterpret_cast<uint64_t>(offsets.data());
  attr.ref_ctr_offsets = refCtr.empty() ? 0 : reinterpret_cast<uint64_t>(refCtr.data());
  attr.cnt = static_cast<uint32_t>(offsets.size());
  attr.multi_flags = OptUint32(um, "flags", 0);
  attr.pid = OptUint32(um, "pid", 0);
  int fd = static_cast<int>(syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof attr));
  if (fd < 0) ThrowErrno(env, "bpf_link_create(uprobe_multi)", errno);
  return Napi::Number::New(env, fd);
}

// linkCreate(progFd, targetFd, attachType, opts?) -> fd
Napi::Value LinkCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int progFd = ArgInt32(info, 0, "progFd");
  int targetFd = ArgInt32(info, 1, "targetFd");
  uint32_t attachType = ArgUint32(info, 2, "attachType");
  Napi::Object o = ArgOptObject(info, 3, "opts");

  if (HasOpt(o, "uprobeMulti")) return UprobeMultiLinkCreate(info, progFd, attachType, o.Get("uprobeMulti").As<Napi::Object>());

  LIBBPF_OPTS(bpf_link_create_opts, opts);
  opts.flags = OptUint32(o, "flags", 0);
  opts.target_btf_id = OptUint32(o, "targetBtfId", 0);
  std::vector<std::string> symStore;
  std::vector<const char*> syms;
  std::vector<unsigned long> addrs;
  std::vector<__u64> cookies;
  if (HasOpt(o, "kprobeMulti")) {
    Napi::Object km = o.Get("kprobeMulti").As<Napi::Object>();
    auto arr = [&](const char* key) -> Napi::Array {
      Napi::Value v = km.Get(key);
      if (!v.IsArray()) throw Napi::TypeError::New(env, std::string("kprobeMulti.") + key + " must be an array");
      return v.As<Napi::Array>();
    };
    if (HasOpt(km, "syms")) {
      Napi::Array a = arr("syms");
      for (uint32_t i = 0; i < a.Length(); i++) symStore.push_back(a.Get(i).ToString().Utf8Value());
      for (const auto& s : symStore) syms.push_back(s.c_str());
    }
    if (HasOpt(km, "addrs")) {
      Napi::Array a = arr("addrs");
      for (uint32_t i = 0; i < a.Length(); i++) addrs.push_back(ToUint64(a.Get(i), "kprobeMulti.addrs[]"));
    }
    if (HasOpt(km, "cookies")) {
      Napi::Array a = arr("cookies");
      for (uint32_t i = 0; i < a.Length(); i++) cookies.push_back(ToUint64(a.Get(i), "kprobeMulti.cookies[]"));
    }
    opts.kprobe_multi.flags = OptUint32(km, "flags", 0);
    opts.kprobe_multi.cnt = static_cast<uint32_t>(std::max(syms.size(), addrs.size()));
    opts.kprobe_multi.syms = syms.empty() ? nullptr : syms.data();
    opts.kprobe_multi.addrs = addrs.empty() ? nullptr : addrs.data();
    opts.kprobe_multi.cookies = cookies.empty() ? nullptr : cookies.data();
  } else if (HasOpt(o, "cookie")) {
    // perf_event.bpf_cookie and tracing.cookie share the union's first u64
    opts.perf_event.bpf_cookie = OptUint64(o, "cookie", 0);
  }
  int fd = bpf_link_create(progFd, targetFd, static_cast<enum bpf_attach_type>(attachType), &opts);
  if (fd < 0) ThrowErrno(env, "bpf_link_create", errno ? errno : -fd);
  return Napi::Number::New(env, fd);
}

// linkDetachById(id) -> false if no such link: BPF_LINK_DETACH, which cuts a link from its hook
// whoever holds it (a pin, another process); the link object lives on, defunct, until its last
// reference goes. Only some link types can be detached (xdp, tcx, netkit, cgroup, netns, netfilter).
Napi::Value LinkDetachById(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id = ArgUint32(info, 0, "id");
  int fd = bpf_link_get_fd_by_id(id);
  if (fd < 0) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, "bpf_link_get_fd_by_id", errno);
  }
  int rc = bpf_link_detach(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) ThrowErrno(env, "bpf_link_detach", err);
  return Napi::Boolean::New(env, true);
}

// objPin(fd, path): BPF_OBJ_PIN in a bpf file system. objGet(path) -> fd: BPF_OBJ_GET.
Napi::Value ObjPin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgInt32(info, 0, "fd");
  std::string path = ArgString(info, 1, "path");
  if (bpf_obj_pin(fd, path.c_str()) != 0) ThrowErrno(env, "bpf_obj_pin", errno);
  return env.Undefined();
}

Napi::Value ObjGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = ArgString(info, 0, "path");
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) ThrowErrno(env, "bpf_obj_get", errno);
  return Napi::Number::New(env, fd);
}

// iterCreate(linkFd) -> fd: BPF_ITER_CREATE, a file whose read() runs an iterator program.
Napi::Value IterCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int linkFd = ArgInt32(info, 0, "linkFd");
  int fd = bpf_iter_create(linkFd);
  if (fd < 0) ThrowErrno(env, "bpf_iter_create", errno ? errno : -fd);
  return Napi::Number::New(env, fd);
}

}  // namespace

void InitLink(Napi::Env env, Napi::Object exports) {
  ExportFunction(exports, "linkDetachById", LinkDetachById);
  ExportFunction(exports, "objPin", ObjPin);
  ExportFunction(exports, "objGet", ObjGet);
  ExportFunction(exports, "rawTracepointOpen", RawTracepointOpen);
  ExportFunction(exports, "linkCreate", LinkCreate);
  ExportFunction(exports, "iterCreate", IterCreate);
}

}  // namespace tsbpf
