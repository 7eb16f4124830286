// tsbpf_bpf.node: module registration only.
#include "common.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tsbpf::InstallLibbpfPrint();
  tsbpf::InitMap(env, exports);
  tsbpf::InitProg(env, exports);
  tsbpf::InitPerf(env, exports);
  tsbpf::InitLink(env, exports);
  tsbpf::InitInfo(env, exports);
  tsbpf::InitSys(env, exports);
  tsbpf::InitTc(env, exports);
  tsbpf::InitRingbuf(env, exports);
  tsbpf::InitHmac(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(tsbpf_bpf, Init)
