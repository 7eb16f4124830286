// errno -> JS Error with .errno / .code / .op.
#include "common.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tsbpf {

namespace {
// Kernel-internal errno values (include/linux/errno.h) that bpf(2) can return;
// glibc knows neither their names nor messages.
struct KernelErrno {
  int value;
  const char* name;
  const char* message;
};
constexpr KernelErrno kKernelErrnos[] = {
    {512, "ERESTARTSYS", "Restart system call"},
    {513, "ERESTARTNOINTR", "Restart system call (no interrupt)"},
    {514, "ERESTARTNOHAND", "Restart if no handler"},
    {515, "ENOIOCTLCMD", "No ioctl command"},
    {516, "ERESTART_RESTARTBLOCK", "Restart by calling sys_restart_syscall"},
    {517, "EPROBE_DEFER", "Driver requests probe retry"},
    {518, "EOPENSTALE", "Open found a stale dentry"},
    {519, "ENOPARAM", "Parameter not supported"},
    {521, "EBADHANDLE", "Illegal NFS file handle"},
    {522, "ENOTSYNC", "Update synchronization mismatch"},
    {523, "EBADCOOKIE", "Cookie is stale"},
    {524, "ENOTSUPP", "Operation is not supported"},
    {525, "ETOOSMALL", "Buffer or request is too small"},
    {526, "ESERVERFAULT", "An untranslatable error occurred"},
    {527, "EBADTYPE", "Type not supported by server"},
    {528, "EJUKEBOX", "Request initiated, but will not complete before timeout"},
    {529, "EIOCBQUEUED", "iocb queued, will get completion event"},
    {530, "ERECALLCONFLICT", "Conflict with recalled state"},
    {531, "ENOGRACE", "NFS file lock reclaim refused"},
};

const KernelErrno* FindKernelErrno(int err) {
  for (const auto& k : kKernelErrnos)
    if (k.value == err) return &k;
  return nullptr;
}

std::string ErrnoMessage(int err) {
  if (const KernelErrno* k = FindKernelErrno(err)) return k->message;
  if (err >= 4000 && err < 5000) {  // libbpf's own LIBBPF_ERRNO__* codes
    char buf[256];
    libbpf_strerror(err, buf, sizeof buf);
    return buf;
  }
  return strerror(err);
}

thread_local std::string tLibbpfMessages;
bool gLibbpfVerbose = false;

int OnLibbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (gLibbpfVerbose) return vfprintf(stderr, fmt, args);
  if (level != LIBBPF_WARN) return 0;
  char buf[512];
  int n = vsnprintf(buf, sizeof buf, fmt, args);
  std::string m(buf, n < 0 ? 0 : std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
  if (m.rfind("libbpf: ", 0) == 0) m.erase(0, 8);
  while (!m.empty() && m.back() == '\n') m.pop_back();
  if (tLibbpfMessages.size() < 4096) {
    if (!tLibbpfMessages.empty()) tLibbpfMessages += "; ";
    tLibbpfMessages += m;
  }
  return n;
}
}  // namespace

void InstallLibbpfPrint() {
  const char* v = getenv("TSBPF_LIBBPF_VERBOSE");
  gLibbpfVerbose = v && *v && strcmp(v, "0") != 0;
  libbpf_set_print(OnLibbpfPrint);
}

void ClearLibbpfMessages() { tLibbpfMessages.clear(); }

std::string ErrnoCode(int err) {
  if (err < 0) err = -err;
  if (const char* n = strerrorname_np(err)) return n;
  if (const KernelErrno* k = FindKernelErrno(err)) return k->name;
  if (err >= 4000 && err < 5000) return "LIBBPF_ERRNO_" + std::to_string(err);
  return "E" + std::to_string(err);
}

Napi::Error ErrnoError(Napi::Env env, const char* op, int err) {
  if (err < 0) err = -err;
  if (err == 0) err = EINVAL;  // defensive: never report "success" as an error
  std::string code = ErrnoCode(err);
  std::string msg = std::string(op) + ": " + ErrnoMessage(err) + " (" + code + ")";
  std::string detail;
  detail.swap(tLibbpfMessages);
  if (!detail.empty()) msg += " [libbpf: " + detail + "]";
  Napi::Error e = Napi::Error::New(env, msg);
  if (!detail.empty()) e.Set("detail", Napi::String::New(env, detail));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, code));
  e.Set("op", Napi::String::New(env, op));
  return e;
}

void ThrowErrno(Napi::Env env, const char* op, int err) { throw ErrnoError(env, op, err); }

}  // namespace tsbpf
