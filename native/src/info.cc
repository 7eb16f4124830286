// Introspection of loaded BPF objects (ids, names, types, stats).
#include "common.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace tsbpf {

namespace {

using GetNextId = int (*)(__u32, __u32*);

Napi::Value NextId(const Napi::CallbackInfo& info, GetNextId fn, const char* op) {
  Napi::Env env = info.Env();
  uint32_t start = ArgUint32(info, 0, "startId");
  uint32_t next = 0;
  if (fn(start, &next) != 0) {
    if (errno == ENOENT) return Napi::Number::New(env, 0);
    ThrowErrno(env, op, errno);
  }
  return Napi::Number::New(env, next);
}

Napi::Value ProgGetNextId(const Napi::CallbackInfo& info) {
  return NextId(info, bpf_prog_get_next_id, "bpf_prog_get_next_id");
}
Napi::Value MapGetNextId(const Napi::CallbackInfo& info) {
  return NextId(info, bpf_map_get_next_id, "bpf_map_get_next_id");
}
Napi::Value LinkGetNextId(const Napi::CallbackInfo& info) {
  return NextId(info, bpf_link_get_next_id, "bpf_link_get_next_id");
}

double U64(uint64_t v) { return static_cast<double>(v); }

// Fills `out` (bpf_prog_info, bpf_map_info) for `fd` and returns an object with the fields both
// kinds have: id, name, type.
template <typename ObjInfo>
Napi::Object GetObjInfo(Napi::Env env, int fd, ObjInfo& out) {
  memset(&out, 0, sizeof out);
  uint32_t len = sizeof out;
  if (bpf_obj_get_info_by_fd(fd, &out, &len) != 0) ThrowErrno(env, "bpf_obj_get_info_by_fd", errno);
  Napi::Object r = Napi::Object::New(env);
  r.Set("id", Napi::Number::New(env, out.id));
  r.Set("name", Napi::String::New(env, out.name, strnlen(out.name, sizeof out.name)));
  r.Set("type", Napi::Number::New(env, out.type));
  return r;
}

Napi::Object ProgInfoObject(Napi::Env env, int fd) {
  bpf_prog_info pi;
  Napi::Object r = GetObjInfo(env, fd, pi);
  char tag[2 * BPF_TAG_SIZE + 1];
  for (int i = 0; i < BPF_TAG_SIZE; i++) snprintf(tag + 2 * i, 3, "%02x", pi.tag[i]);
  r.Set("tag", Napi::String::New(env, tag));
  r.Set("runTimeNs", Napi::Number::New(env, U64(pi.run_time_ns)));
  r.Set("runCnt", Napi::Number::New(env, U64(pi.run_cnt)));
  r.Set("recursionMisses", Napi::Number::New(env, U64(pi.recursion_misses)));
  r.Set("verifiedInsns", Napi::Number::New(env, pi.verified_insns));
  r.Set("xlatedProgLen", Napi::Number::New(env, pi.xlated_prog_len));
  r.Set("jitedProgLen", Napi::Number::New(env, pi.jited_prog_len));
  r.Set("nrMapIds", Napi::Number::New(env, pi.nr_map_ids));
  return r;
}

Napi::Object MapInfoObject(Napi::Env env, int fd) {
  bpf_map_info mi;
  Napi::Object r = GetObjInfo(env, fd, mi);
  r.Set("keySize", Napi::Number::New(env, mi.key_size));
  r.Set("valueSize", Napi::Number::New(env, mi.value_size));
  r.Set("maxEntries", Napi::Number::New(env, mi.max_entries));
  r.Set("flags", Napi::Number::New(env, mi.map_flags));
  return r;
}

using GetFdById = int (*)(__u32);
using InfoOf = Napi::Object (*)(Napi::Env, int);

Napi::Value InfoById(const Napi::CallbackInfo& info, GetFdById open, const char* op, InfoOf get) {
  Napi::Env env = info.Env();
  uint32_t id = ArgUint32(info, 0, "id");
  int fd = open(id);
  if (fd < 0) {
    if (errno == ENOENT) return env.Null();
    ThrowErrno(env, op, errno);
  }
  try {
    Napi::Object r = get(env, fd);
    ::close(fd);
    return r;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

Napi::Value ProgInfoById(const Napi::CallbackInfo& info) {
  return InfoById(info, bpf_prog_get_fd_by_id, "bpf_prog_get_fd_by_id", ProgInfoObject);
}
Napi::Value MapInfoById(const Napi::CallbackInfo& info) {
  return InfoById(info, bpf_map_get_fd_by_id, "bpf_map_get_fd_by_id", MapInfoObject);
}
Napi::Value ProgInfoByFd(const Napi::CallbackInfo& info) { return ProgInfoObject(info.Env(), ArgInt32(info, 0, "fd")); }
Napi::Value MapInfoByFd(const Napi::CallbackInfo& info) { return MapInfoObject(info.Env(), ArgInt32(info, 0, "fd")); }

// bpf_link_info as kernel 6.18 lays it out: the system's uapi header may predate the union members
// (perf_event, tcx, netkit) that top reads, so the info is read into raw bytes and decoded in
// TypeScript (runtime/top/link-info.ts). The header is type, id, prog_id; the union starts at 16.
constexpr size_t kLinkInfoSize = 256;
constexpr size_t kUnion = 16;
constexpr size_t kNameSize = 4096;

// Link types whose info carries a string the kernel copies into a buffer we point it at, and where
// the pointer and length sit: raw_tracepoint {tp_name u64, tp_name_len u32}, iter {target_name u64,
// target_name_len u32}, perf_event {type u32, pad, {name u64, name_len u32, ...}}.
bool NameSlot(uint32_t linkType, size_t* ptrOff, size_t* lenOff) {
  switch (linkType) {
    case 1:  // BPF_LINK_TYPE_RAW_TRACEPOINT
    case 4:  // BPF_LINK_TYPE_ITER
      *ptrOff = kUnion;
      *lenOff = kUnion + 8;
      return true;
    case 7:  // BPF_LINK_TYPE_PERF_EVENT (the event kind BPF_PERF_EVENT_EVENT has no name; the kernel ignores the slot)
      *ptrOff = kUnion + 8;
      *lenOff = kUnion + 16;
      return true;
    default:
      return false;
  }
}

// { info: Buffer (bpf_link_info bytes), name: string (the tracepoint, function or file it names, or '') }
Napi::Object LinkInfoObject(Napi::Env env, int fd) {
  alignas(8) uint8_t buf[kLinkInfoSize];
  memset(buf, 0, sizeof buf);
  uint32_t len = sizeof buf;
  if (bpf_obj_get_info_by_fd(fd, buf, &len) != 0) ThrowErrno(env, "bpf_obj_get_info_by_fd", errno);
  uint32_t linkType;
  memcpy(&linkType, buf, 4);
  std::string name;
  size_t ptrOff, lenOff;
  if (NameSlot(linkType, &ptrOff, &lenOff)) {
    std::vector<char> nameBuf(kNameSize, 0);
    memset(buf, 0, sizeof buf);
    uint64_t ptr = reinterpret_cast<uintptr_t>(nameBuf.data());
    uint32_t nameLen = kNameSize;
    memcpy(buf + ptrOff, &ptr, 8);
    memcpy(buf + lenOff, &nameLen, 4);
    len = sizeof buf;
    if (bpf_obj_get_info_by_fd(fd, buf, &len) != 0) ThrowErrno(env, "bpf_obj_get_info_by_fd", errno);
    name.assign(nameBuf.data(), strnlen(nameBuf.data(), nameBuf.size()));
    uint64_t left;
    memcpy(&left, buf + ptrOff, 8);
    if (left == ptr) memset(buf + ptrOff, 0, 8);  // our pointer means nothing to the caller (a perf event's config is kept)
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("info", Napi::Buffer<uint8_t>::Copy(env, buf, len));
  r.Set("name", Napi::String::New(env, name));
  return r;
}

Napi::Value LinkInfoById(const Napi::CallbackInfo& info) {
  return InfoById(info, bpf_link_get_fd_by_id, "bpf_link_get_fd_by_id", LinkInfoObject);
}
Napi::Value LinkInfoByFd(const Napi::CallbackInfo& info) { return LinkInfoObject(info.Env(), ArgInt32(info, 0, "fd")); }

// taskFdQuery(pid, fd) -> { progId, fdType, name, probeOffset, probeAddr } | null (not a BPF-carrying fd)
Napi::Value TaskFdQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = ArgInt32(info, 0, "pid");
  int fd = ArgInt32(info, 1, "fd");
  std::vector<char> nameBuf(kNameSize, 0);
  __u32 nameLen = kNameSize, progId = 0, fdType = 0;
  __u64 offset = 0, addr = 0;
  if (bpf_task_fd_query(pid, fd, 0, nameBuf.data(), &nameLen, &progId, &fdType, &offset, &addr) != 0) {
    int err = errno;
    if (err == ENOENT || err == EBADF || err == ENOTSUP || err == EOPNOTSUPP || err == ESRCH) return env.Null();
    ThrowErrno(env, "bpf_task_fd_query", err);
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("progId", Napi::Number::New(env, progId));
  r.Set("fdType", Napi::Number::New(env, fdType));
  r.Set("name", Napi::String::New(env, nameBuf.data(), strnlen(nameBuf.data(), nameBuf.size())));
  r.Set("probeOffset", Napi::BigInt::New(env, static_cast<uint64_t>(offset)));
  r.Set("probeAddr", Napi::BigInt::New(env, static_cast<uint64_t>(addr)));
  return r;
}

// enableStats() -> fd: BPF_ENABLE_STATS(BPF_STATS_RUN_TIME); run_cnt/run_time_ns are counted while
// any such fd is open, and the kernel stops counting when the last one closes (even on SIGKILL).
Napi::Value EnableStats(const Napi::CallbackInfo& info) {
  int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0) ThrowErrno(info.Env(), "bpf_enable_stats", errno ? errno : -fd);
  return Napi::Number::New(info.Env(), fd);
}

}  // namespace

void InitInfo(Napi::Env env, Napi::Object exports) {
  ExportFunction(exports, "progGetNextId", ProgGetNextId);
  ExportFunction(exports, "mapGetNextId", MapGetNextId);
  ExportFunction(exports, "linkGetNextId", LinkGetNextId);
  ExportFunction(exports, "progInfoById", ProgInfoById);
  ExportFunction(exports, "mapInfoById", MapInfoById);
  ExportFunction(exports, "progInfoByFd", ProgInfoByFd);
  ExportFunction(exports, "mapInfoByFd", MapInfoByFd);
  ExportFunction(exports, "linkInfoById", LinkInfoById);
  ExportFunction(exports, "linkInfoByFd", LinkInfoByFd);
  ExportFunction(exports, "taskFdQuery", TaskFdQuery);
  ExportFunction(exports, "enableStats", EnableStats);
}

}  // namespace tsbpf
