// tsbpf_llvm.node: module registration only.
#include "common.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tsbpf::InitLlvmEmit(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(tsbpf_llvm, Init)
