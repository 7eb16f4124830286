// Introspection of loaded BPF objects (ids, names, types, stats).
#include "common.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

}  // namespace

void InitInfo(Napi::Env env, Napi::Object exports) {
  ExportFunction(exports, "progGetNextId", ProgGetNextId);
  ExportFunction(exports, "mapGetNextId", MapGetNextId);
  ExportFunction(exports, "linkGetNextId", LinkGetNextId);
  ExportFunction(exports, "progInfoById", ProgInfoById);
  ExportFunction(exports, "mapInfoById", MapInfoById);
  ExportFunction(exports, "progInfoByFd", ProgInfoByFd);
  ExportFunction(exports, "mapInfoByFd", MapInfoByFd);
}

}  // namespace tsbpf
