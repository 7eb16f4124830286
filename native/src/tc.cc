// Classic tc attachment (kernels without tcx): a cls_bpf filter in direct-action mode on the
// clsact qdisc, through libbpf's netlink calls (bpf_tc_*). Unlike a BPF link, such a filter
// outlives the process that added it: the caller must remove it on every exit path.
#include "common.h"

#include <bpf/libbpf.h>

#include <cerrno>

namespace tsbpf {

namespace {

bpf_tc_attach_point AttachPoint(Napi::Env env, const std::string& direction) {
  if (direction == "ingress") return BPF_TC_INGRESS;
  if (direction == "egress") return BPF_TC_EGRESS;
  throw Napi::TypeError::New(env, "direction must be ingress or egress");
}

// tcClassicAttach(ifindex, direction, progFd) -> {handle, priority, createdQdisc}
Napi::Value TcClassicAttach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int ifindex = ArgInt32(info, 0, "ifindex");
  bpf_tc_attach_point point = AttachPoint(env, ArgString(info, 1, "direction"));
  int progFd = ArgInt32(info, 2, "progFd");
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
  ClearLibbpfMessages();
  int err = bpf_tc_hook_create(&hook);
  bool created = err == 0;
  if (err && err != -EEXIST) ThrowErrno(env, "bpf_tc_hook_create", err);
  // handle and priority 0: the kernel picks free ones and libbpf reads them back.
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = progFd);
  err = bpf_tc_attach(&hook, &opts);
  if (err) {
    if (created) {
      hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
      bpf_tc_hook_destroy(&hook);
    }
    ThrowErrno(env, "bpf_tc_attach", err);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("handle", Napi::Number::New(env, opts.handle));
  out.Set("priority", Napi::Number::New(env, opts.priority));
  out.Set("createdQdisc", Napi::Boolean::New(env, created));
  return out;
}

// tcClassicDetach(ifindex, direction, handle, priority): removes that one filter.
Napi::Value TcClassicDetach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int ifindex = ArgInt32(info, 0, "ifindex");
  bpf_tc_attach_point point = AttachPoint(env, ArgString(info, 1, "direction"));
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = ArgUint32(info, 2, "handle"), .priority = ArgUint32(info, 3, "priority"));
  ClearLibbpfMessages();
  int err = bpf_tc_detach(&hook, &opts);
  if (err) ThrowErrno(env, "bpf_tc_detach", err);
  return env.Undefined();
}

// tcClassicQdiscDelete(ifindex): deletes the interface's clsact qdisc (and any filter left on it).
Napi::Value TcClassicQdiscDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ArgInt32(info, 0, "ifindex"),
              .attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
  ClearLibbpfMessages();
  int err = bpf_tc_hook_destroy(&hook);
  if (err) ThrowErrno(env, "bpf_tc_hook_destroy", err);
  return env.Undefined();
}

}  // namespace

void InitTc(Napi::Env env, Napi::Object exports) {
  ExportFunction(exports, "tcClassicAttach", TcClassicAttach);
  ExportFunction(exports, "tcClassicDetach", TcClassicDetach);
  ExportFunction(exports, "tcClassicQdiscDelete", TcClassicQdiscDelete);
}

}  // namespace tsbpf
