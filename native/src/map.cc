// BPF maps: create, element ops, whole-map dump (batch or iterate).
#include "common.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace tsbpf {

namespace {

// Sizes of maps created through mapCreate, so that element ops can refuse a
// too-small Buffer instead of letting the kernel write past its end.
struct MapSizes {
  uint32_t keySize;
  uint32_t valueSize;  // per-CPU-expanded for per-CPU maps
};
std::mutex gSizesMu;
std::unordered_map<int, MapSizes> gSizes;

bool IsPerCpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

uint32_t ExpandedValueSize(uint32_t type, uint32_t valueSize) {
  if (!IsPerCpu(type)) return valueSize;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return valueSize;
  return ((valueSize + 7) & ~7u) * static_cast<uint32_t>(ncpu);
}

void CheckSizes(Napi::Env env, const char* op, int fd, const Napi::Buffer<uint8_t>* key,
                const Napi::Buffer<uint8_t>* value) {
  MapSizes s;
  {
    std::lock_guard<std::mutex> lock(gSizesMu);
    auto it = gSizes.find(fd);
    if (it == gSizes.end()) return;  // not created here: caller's responsibility
    s = it->second;
  }
  if (key && key->Length() < s.keySize)
    throw Napi::RangeError::New(env, std::string(op) + ": key Buffer has " + std::to_string(key->Length()) +
                                       " bytes, map key size is " + std::to_string(s.keySize));
  if (value && value->Length() < s.valueSize)
    throw Napi::RangeError::New(env, std::string(op) + ": value Buffer has " + std::to_string(value->Length()) +
                                         " bytes, map needs " + std::to_string(s.valueSize));
}

int ArgFd(const Napi::CallbackInfo& info) { return ArgInt32(info, 0, "fd"); }

// mapCreate(type, keySize, valueSize, maxEntries, flags, name, opts?) -> fd
Napi::Value MapCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t type = ArgUint32(info, 0, "type");
  uint32_t keySize = ArgUint32(info, 1, "keySize");
  uint32_t valueSize = ArgUint32(info, 2, "valueSize");
  uint32_t maxEntries = ArgUint32(info, 3, "maxEntries");
  uint32_t flags = ArgUint32(info, 4, "flags");
  std::string name = info.Length() > 5 && !info[5].IsUndefined() ? ArgString(info, 5, "name") : "";
  Napi::Object o = ArgOptObject(info, 6, "opts");

  LIBBPF_OPTS(bpf_map_create_opts, opts);
  opts.map_flags = flags;
  opts.inner_map_fd = OptUint32(o, "innerMapFd", 0);
  opts.map_extra = OptUint64(o, "mapExtra", 0);
  opts.numa_node = OptUint32(o, "numaNode", 0);
  int fd = bpf_map_create(static_cast<enum bpf_map_type>(type), name.empty() ? nullptr : name.c_str(), keySize,
                          valueSize, maxEntries, &opts);
  if (fd < 0) ThrowErrno(env, "bpf_map_create", errno ? errno : -fd);
  {
    std::lock_guard<std::mutex> lock(gSizesMu);
    gSizes[fd] = MapSizes{keySize, ExpandedValueSize(type, valueSize)};
  }
  return Napi::Number::New(env, fd);
}

// mapLookup(fd, key, value) -> boolean (false on ENOENT)
Napi::Value MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info);
  auto key = ArgBuffer(info, 1, "key");
  auto value = ArgBuffer(info, 2, "value");
  CheckSizes(env, "bpf_map_lookup_elem", fd, &key, &value);
  if (bpf_map_lookup_elem(fd, key.Data(), value.Data()) == 0) return Napi::Boolean::New(env, true);
  if (errno == ENOENT) return Napi::Boolean::New(env, false);
  ThrowErrno(env, "bpf_map_lookup_elem", errno);
}

// mapUpdate(fd, key, value, flags) -> void
Napi::Value MapUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info);
  auto key = ArgBuffer(info, 1, "key");
  auto value = ArgBuffer(info, 2, "value");
  uint64_t flags = info.Length() > 3 && !info[3].IsUndefined() ? ToUint64(info[3], "flags") : 0;
  CheckSizes(env, "bpf_map_update_elem", fd, &key, &value);
  if (bpf_map_update_elem(fd, key.Data(), value.Data(), flags) != 0) ThrowErrno(env, "bpf_map_update_elem", errno);
  return env.Undefined();
}

// mapDelete(fd, key) -> boolean (false on ENOENT)
Napi::Value MapDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info);
  auto key = ArgBuffer(info, 1, "key");
  CheckSizes(env, "bpf_map_delete_elem", fd, &key, nullptr);
  if (bpf_map_delete_elem(fd, key.Data()) == 0) return Napi::Boolean::New(env, true);
  if (errno == ENOENT) return Napi::Boolean::New(env, false);
  ThrowErrno(env, "bpf_map_delete_elem", errno);
}

// mapGetNextKey(fd, key | null, nextKey) -> boolean (false at end)
Napi::Value MapGetNextKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info);
  const void* keyPtr = nullptr;
  if (info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined()) {
    auto key = ArgBuffer(info, 1, "key");
    CheckSizes(env, "bpf_map_get_next_key", fd, &key, nullptr);
    keyPtr = key.Data();
  }
  auto next = ArgBuffer(info, 2, "nextKey");
  CheckSizes(env, "bpf_map_get_next_key", fd, &next, nullptr);
  if (bpf_map_get_next_key(fd, keyPtr, next.Data()) == 0) return Napi::Boolean::New(env, true);
  if (errno == ENOENT) return Napi::Boolean::New(env, false);
  ThrowErrno(env, "bpf_map_get_next_key", errno);
}

// Bytes grown with realloc (glibc remaps a large block instead of copying it) and handed to JS
// as an external Buffer, so a dump of a big map is held once, not twice.
class Bytes {
 public:
  Bytes() = default;
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  ~Bytes() { free(data_); }
  uint8_t* data() { return data_; }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }
  void resize(size_t n) {
    if (n > cap_) {
      size_t c = std::max(n, cap_ + cap_ / 2);
      void* p = realloc(data_, c);
      if (p == nullptr) throw std::bad_alloc();
      data_ = static_cast<uint8_t*>(p);
      cap_ = c;
    }
    size_ = n;
  }
  void append(const uint8_t* p, size_t n) {
    size_t at = size_;
    resize(at + n);
    memcpy(data_ + at, p, n);
  }
  Napi::Buffer<uint8_t> release(Napi::Env env) {
    if (size_ == 0) return Napi::Buffer<uint8_t>::New(env, 0);
    uint8_t* p = data_;
    if (cap_ - size_ > size_ / 8) {
      void* shrunk = realloc(p, size_);
      if (shrunk != nullptr) p = static_cast<uint8_t*>(shrunk);
    }
    size_t n = size_;
    data_ = nullptr;
    size_ = cap_ = 0;
    // Told to V8, so that a dropped dump is collected as soon as an ArrayBuffer of its size would be.
    Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(n));
    return Napi::Buffer<uint8_t>::New(env, p, n, [n](Napi::Env e, uint8_t* d) {
      free(d);
      Napi::MemoryManagement::AdjustExternalMemory(e, -static_cast<int64_t>(n));
    });
  }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0, cap_ = 0;
};

struct Dump {
  Bytes keys, values;
  uint32_t count = 0;
};

// Returns false when the map type has no batch support (caller falls back).
bool DumpBatch(Napi::Env env, int fd, uint32_t keySize, uint32_t valueSize, uint32_t maxEntries, Dump& d) {
  uint32_t chunk = std::min<uint32_t>(std::max<uint32_t>(maxEntries, 1), 65536);
  const size_t batchSz = std::max<uint32_t>(keySize, 8);
  std::vector<uint8_t> inBatch(batchSz), outBatch(batchSz);
  bool first = true;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  for (;;) {
    uint32_t count = chunk;
    size_t base = d.count;
    d.keys.resize((base + count) * keySize);
    d.values.resize((base + count) * static_cast<size_t>(valueSize));
    int err = bpf_map_lookup_batch(fd, first ? nullptr : inBatch.data(), outBatch.data(),
                                   d.keys.data() + base * keySize, d.values.data() + base * valueSize, &count, &opts);
    int e = err < 0 ? errno : 0;
    if (err < 0 && e == ENOSPC && count == 0) {
      // a hash bucket holds more entries than fit: retry with a bigger chunk
      if (chunk >= (1u << 24)) ThrowErrno(env, "bpf_map_lookup_batch", e);
      chunk *= 2;
      continue;
    }
    if (err < 0 && e != ENOENT) {
      if (first && d.count == 0 && (e == EINVAL || e == ENOTSUP || e == 524 /* ENOTSUPP */)) return false;
      ThrowErrno(env, "bpf_map_lookup_batch", e);
    }
    d.count += count;
    if (err < 0) break;  // ENOENT: no more entries
    first = false;
    std::swap(inBatch, outBatch);
  }
  d.keys.resize(static_cast<size_t>(d.count) * keySize);
  d.values.resize(static_cast<size_t>(d.count) * valueSize);
  return true;
}

void DumpIterate(Napi::Env env, int fd, uint32_t keySize, uint32_t valueSize, Dump& d) {
  std::vector<uint8_t> key(keySize), next(keySize), value(valueSize);
  bool haveKey = false;
  for (;;) {
    if (bpf_map_get_next_key(fd, haveKey ? key.data() : nullptr, next.data()) != 0) {
      if (errno == ENOENT) break;
      ThrowErrno(env, "bpf_map_get_next_key", errno);
    }
    if (bpf_map_lookup_elem(fd, next.data(), value.data()) == 0) {
      d.keys.append(next.data(), next.size());
      d.values.append(value.data(), value.size());
      d.count++;
    } else if (errno != ENOENT) {  // ENOENT: deleted meanwhile, skip
      ThrowErrno(env, "bpf_map_lookup_elem", errno);
    }
    std::swap(key, next);
    haveKey = true;
  }
}

// mapDumpAll(fd, keySize, valueSize) -> {keys, values, count, batched}
Napi::Value MapDumpAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info);
  uint32_t keySize = ArgUint32(info, 1, "keySize");
  uint32_t valueSize = ArgUint32(info, 2, "valueSize");

  bpf_map_info mi;
  memset(&mi, 0, sizeof mi);
  uint32_t len = sizeof mi;
  if (bpf_obj_get_info_by_fd(fd, &mi, &len) != 0) ThrowErrno(env, "bpf_obj_get_info_by_fd", errno);
  if (keySize != mi.key_size || valueSize < ExpandedValueSize(mi.type, mi.value_size))
    throw Napi::RangeError::New(
        env, "mapDumpAll: sizes (" + std::to_string(keySize) + ", " + std::to_string(valueSize) +
                 ") do not match the map (key " + std::to_string(mi.key_size) + ", value " +
                 std::to_string(ExpandedValueSize(mi.type, mi.value_size)) + ")");
  if (keySize == 0) throw Napi::RangeError::New(env, "mapDumpAll: map has no keys (key size 0)");

  Dump d;
  bool batched = DumpBatch(env, fd, keySize, valueSize, mi.max_entries, d);
  if (!batched) {
    d.keys.clear();
    d.values.clear();
    d.count = 0;
    DumpIterate(env, fd, keySize, valueSize, d);
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("keys", d.keys.release(env));
  r.Set("values", d.values.release(env));
  r.Set("count", Napi::Number::New(env, d.count));
  r.Set("batched", Napi::Boolean::New(env, batched));
  return r;
}

// mapLookupBatch(fd, inBatch | null, outBatch, keys, values, count, andDelete) -> {count, done}
// One BPF_MAP_LOOKUP_BATCH (or BPF_MAP_LOOKUP_AND_DELETE_BATCH when `andDelete`) call: up to `count`
// entries into `keys` / `values` (per-CPU-expanded values), continuing after the `inBatch` token
// (null: from the start) and leaving the next token in `outBatch` (both at least max(keySize, 8)
// bytes, kept by the caller). `done`: the map has no more entries (ENOENT). Errors throw, with
// .code (EINVAL/ENOTSUPP: no batch support; ENOSPC with count 0: a bucket needs a larger count).
Napi::Value MapLookupBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info);
  const void* inBatch = nullptr;
  if (!info[1].IsNull() && !info[1].IsUndefined()) inBatch = ArgBuffer(info, 1, "inBatch").Data();
  auto outBatch = ArgBuffer(info, 2, "outBatch");
  auto keys = ArgBuffer(info, 3, "keys");
  auto values = ArgBuffer(info, 4, "values");
  uint32_t count = ArgUint32(info, 5, "count");
  bool andDelete = info.Length() > 6 && info[6].ToBoolean().Value();
  bpf_map_info mi;
  memset(&mi, 0, sizeof mi);
  uint32_t len = sizeof mi;
  if (bpf_obj_get_info_by_fd(fd, &mi, &len) != 0) ThrowErrno(env, "bpf_obj_get_info_by_fd", errno);
  const size_t valueSize = ExpandedValueSize(mi.type, mi.value_size);
  if (outBatch.Length() < std::max<size_t>(mi.key_size, 8) || keys.Length() < static_cast<size_t>(count) * mi.key_size ||
      values.Length() < static_cast<size_t>(count) * valueSize)
    throw Napi::RangeError::New(env, "mapLookupBatch: buffers too small for " + std::to_string(count) + " entries");
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  int err = andDelete ? bpf_map_lookup_and_delete_batch(fd, const_cast<void*>(inBatch), outBatch.Data(), keys.Data(),
                                                        values.Data(), &count, &opts)
                      : bpf_map_lookup_batch(fd, const_cast<void*>(inBatch), outBatch.Data(), keys.Data(), values.Data(),
                                             &count, &opts);
  int e = err < 0 ? errno : 0;
  if (err < 0 && e != ENOENT) ThrowErrno(env, andDelete ? "bpf_map_lookup_and_delete_batch" : "bpf_map_lookup_batch", e);
  Napi::Object r = Napi::Object::New(env);
  r.Set("count", Napi::Number::New(env, count));
  r.Set("done", Napi::Boolean::New(env, err < 0));
  return r;
}

// mapUpdateBatch(fd, keys, values, count, flags) -> number updated
// One BPF_MAP_UPDATE_BATCH call over the first `count` keys and values (per-CPU-expanded), with
// `flags` (BPF_EXIST ...) for each. The kernel stops at the first key it cannot update: with
// ENOENT (deleted meanwhile under BPF_EXIST) the count before it is returned, so the caller goes
// on after that key; other errors throw (EINVAL/ENOTSUPP: no batch update).
Napi::Value MapUpdateBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info);
  auto keys = ArgBuffer(info, 1, "keys");
  auto values = ArgBuffer(info, 2, "values");
  uint32_t count = ArgUint32(info, 3, "count");
  uint64_t flags = info.Length() > 4 && !info[4].IsUndefined() ? ToUint64(info[4], "flags") : 0;
  bpf_map_info mi;
  memset(&mi, 0, sizeof mi);
  uint32_t len = sizeof mi;
  if (bpf_obj_get_info_by_fd(fd, &mi, &len) != 0) ThrowErrno(env, "bpf_obj_get_info_by_fd", errno);
  if (keys.Length() < static_cast<size_t>(count) * mi.key_size ||
      values.Length() < static_cast<size_t>(count) * ExpandedValueSize(mi.type, mi.value_size))
    throw Napi::RangeError::New(env, "mapUpdateBatch: buffers too small for " + std::to_string(count) + " entries");
  LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = flags);
  uint32_t done = count;
  if (bpf_map_update_batch(fd, keys.Data(), values.Data(), &done, &opts) != 0 && errno != ENOENT)
    ThrowErrno(env, "bpf_map_update_batch", errno);
  return Napi::Number::New(env, done);
}

}  // namespace

void ForgetMapFd(int fd) {
  std::lock_guard<std::mutex> lock(gSizesMu);
  gSizes.erase(fd);
}

void InitMap(Napi::Env env, Napi::Object exports) {
  ExportFunction(exports, "mapCreate", MapCreate);
  ExportFunction(exports, "mapLookup", MapLookup);
  ExportFunction(exports, "mapUpdate", MapUpdate);
  ExportFunction(exports, "mapDelete", MapDelete);
  ExportFunction(exports, "mapGetNextKey", MapGetNextKey);
  ExportFunction(exports, "mapDumpAll", MapDumpAll);
  ExportFunction(exports, "mapLookupBatch", MapLookupBatch);
  ExportFunction(exports, "mapUpdateBatch", MapUpdateBatch);
}

}  // namespace tsbpf
