// LLVM IR text -> optimised BPF ELF object (or assembly / optimised IR), via
// the LLVM 14 C API. Only the BPF target is initialised.
#include "common.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/ErrorHandling.h>
#include <llvm-c/IRReader.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <unistd.h>

#include <memory>
#include <cstring>
#include <mutex>
#include <string>

namespace tsbpf {

namespace {

std::once_flag gInitOnce;

// report_fatal_error cannot be recovered from (LLVM would abort() right after
// the handler): say what happened and leave with a distinctive status, 70
// (EX_SOFTWARE), without a core dump. Callers isolate compilation in a worker.
void OnFatalError(const char* reason) {
  static const char kPrefix[] = "tsbpf: LLVM fatal error: ";
  ssize_t ignored = write(2, kPrefix, sizeof kPrefix - 1);
  ignored = write(2, reason, strlen(reason));
  ignored = write(2, "\n", 1);
  (void)ignored;
  _exit(70);
}

void InitBpfTarget() {
  std::call_once(gInitOnce, [] {
    LLVMInstallFatalErrorHandler(OnFatalError);
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
    // Inline asm in the IR (src/codegen/bpf-builder.ts atomicAddKeep) is parsed when the object is written.
    LLVMInitializeBPFAsmParser();
  });
}

std::string TakeMessage(char* msg) {
  std::string s = msg ? msg : "";
  if (msg) LLVMDisposeMessage(msg);
  return s;
}

// RAII owners for the C API handles.
struct ContextDel {
  void operator()(LLVMContextRef c) const { LLVMContextDispose(c); }
};
struct ModuleDel {
  void operator()(LLVMModuleRef m) const { LLVMDisposeModule(m); }
};
struct TmDel {
  void operator()(LLVMTargetMachineRef t) const { LLVMDisposeTargetMachine(t); }
};
struct PboDel {
  void operator()(LLVMPassBuilderOptionsRef o) const { LLVMDisposePassBuilderOptions(o); }
};
struct MemBufDel {
  void operator()(LLVMMemoryBufferRef b) const { LLVMDisposeMemoryBuffer(b); }
};
using Context = std::unique_ptr<std::remove_pointer_t<LLVMContextRef>, ContextDel>;
using Module = std::unique_ptr<std::remove_pointer_t<LLVMModuleRef>, ModuleDel>;
using TargetMachine = std::unique_ptr<std::remove_pointer_t<LLVMTargetMachineRef>, TmDel>;
using PassOptions = std::unique_ptr<std::remove_pointer_t<LLVMPassBuilderOptionsRef>, PboDel>;
using MemBuf = std::unique_ptr<std::remove_pointer_t<LLVMMemoryBufferRef>, MemBufDel>;

// Collects error diagnostics (e.g. the BPF backend's "Unsupported dynamic stack
// allocation"). With a handler installed LLVM reports instead of calling exit(1).
void OnDiagnostic(LLVMDiagnosticInfoRef di, void* ctx) {
  if (LLVMGetDiagInfoSeverity(di) != LLVMDSError) return;
  auto* errors = static_cast<std::string*>(ctx);
  if (!errors->empty()) *errors += "\n";
  std::string m = TakeMessage(LLVMGetDiagInfoDescription(di));
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  *errors += m;
}

// Constructs the LLVM 14 BPF backend rejects with report_fatal_error (which
// would end the process) are found first so that they become exceptions:
//   - an alloca that is not static (constant size, entry block):
//     "Unsupported dynamic stack allocation";
//   - sdiv/srem: "Unsupport signed division" then "Cannot select".
std::string FindUnsupported(LLVMModuleRef mod) {
  for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
    if (LLVMIsDeclaration(f)) continue;
    size_t len = 0;
    const char* fname = LLVMGetValueName2(f, &len);
    std::string where = " in function '" + std::string(fname, len) + "'";
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(f);
    for (LLVMBasicBlockRef bb = entry; bb; bb = LLVMGetNextBasicBlock(bb)) {
      for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
        if (LLVMIsAAllocaInst(i) && (bb != entry || !LLVMIsAConstantInt(LLVMGetOperand(i, 0))))
          return "Unsupported dynamic stack allocation" + where +
                 ": every alloca must have a constant size and sit in the entry block";
        LLVMOpcode op = LLVMGetInstructionOpcode(i);
        if (op == LLVMSDiv || op == LLVMSRem)
          return "signed division/remainder" + where + " is not supported by the BPF backend: use udiv/urem";
      }
    }
  }
  return "";
}

[[noreturn]] void Fail(Napi::Env env, const std::string& what, const std::string& msg) {
  throw Napi::Error::New(env, "emitBpfObject: " + what + (msg.empty() ? "" : ": " + msg));
}

// emitBpfObject(irText, {sections, cpu?, optLevel?, output?}) -> Buffer
Napi::Value EmitBpfObject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ir = ArgString(info, 0, "irText");
  Napi::Object o = ArgOptObject(info, 1, "opts");
  std::string cpu = HasOpt(o, "cpu") ? o.Get("cpu").ToString().Utf8Value() : "v3";
  uint32_t optLevel = OptUint32(o, "optLevel", 2);
  if (optLevel > 3) throw Napi::RangeError::New(env, "optLevel must be 0..3");
  std::string output = HasOpt(o, "output") ? o.Get("output").ToString().Utf8Value() : "object";
  if (output != "object" && output != "assembly" && output != "ir")
    throw Napi::TypeError::New(env, "output must be 'object', 'assembly' or 'ir'");

  InitBpfTarget();
  Context ctx(LLVMContextCreate());
  std::string diagErrors;
  LLVMContextSetDiagnosticHandler(ctx.get(), OnDiagnostic, &diagErrors);

  // Parse (LLVMParseIRInContext takes ownership of the memory buffer).
  LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRangeCopy(ir.data(), ir.size(), "tsbpf");
  LLVMModuleRef rawMod = nullptr;
  char* msg = nullptr;
  if (LLVMParseIRInContext(ctx.get(), buf, &rawMod, &msg)) Fail(env, "cannot parse IR", TakeMessage(msg));
  Module mod(rawMod);
  if (!diagErrors.empty()) Fail(env, "cannot parse IR", diagErrors);

  // Sections.
  if (HasOpt(o, "sections")) {
    Napi::Value sv = o.Get("sections");
    if (!sv.IsObject()) throw Napi::TypeError::New(env, "sections must be an object");
    Napi::Object sections = sv.As<Napi::Object>();
    Napi::Array names = sections.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      std::string fn = names.Get(i).ToString().Utf8Value();
      std::string sec = sections.Get(fn).ToString().Utf8Value();
      LLVMValueRef f = LLVMGetNamedFunction(mod.get(), fn.c_str());
      if (!f) Fail(env, "no function named '" + fn + "'", "");
      LLVMSetSection(f, sec.c_str());
    }
  }

  // The optimiser assumes valid IR; a broken module must not reach it.
  if (LLVMVerifyModule(mod.get(), LLVMReturnStatusAction, &msg)) Fail(env, "invalid IR", TakeMessage(msg));
  TakeMessage(msg);

  // Target machine.
  LLVMTargetRef target = nullptr;
  if (LLVMGetTargetFromTriple("bpfel", &target, &msg)) Fail(env, "no BPF target", TakeMessage(msg));
  static const LLVMCodeGenOptLevel kLevels[] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess, LLVMCodeGenLevelDefault,
                                                LLVMCodeGenLevelAggressive};
  TargetMachine tm(LLVMCreateTargetMachine(target, "bpfel", cpu.c_str(), "", kLevels[optLevel], LLVMRelocDefault,
                                           LLVMCodeModelDefault));
  if (!tm) Fail(env, "cannot create the bpfel target machine for cpu '" + cpu + "'", "");
  {
    std::string triple = LLVMGetTarget(mod.get());
    if (triple.empty()) {
      LLVMSetTarget(mod.get(), "bpfel");
      LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm.get());
      LLVMSetModuleDataLayout(mod.get(), dl);
      LLVMDisposeTargetData(dl);
    }
  }

  // Optimise with the new pass manager (the target machine registers the BPF
  // backend's own IR passes).
  if (optLevel > 0) {
    PassOptions po(LLVMCreatePassBuilderOptions());
    std::string pipeline = "default<O" + std::to_string(optLevel) + ">";
    LLVMErrorRef err = LLVMRunPasses(mod.get(), pipeline.c_str(), tm.get(), po.get());
    if (err) Fail(env, "optimisation failed", TakeMessage(LLVMGetErrorMessage(err)));
    if (!diagErrors.empty()) Fail(env, "optimisation failed", diagErrors);
  }

  if (output != "ir") {
    std::string bad = FindUnsupported(mod.get());
    if (!bad.empty()) Fail(env, bad, "");
  }

  if (output == "ir") {
    std::string text = TakeMessage(LLVMPrintModuleToString(mod.get()));
    return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  }

  // Code generation to memory.
  LLVMMemoryBufferRef rawOut = nullptr;
  LLVMCodeGenFileType ft = output == "assembly" ? LLVMAssemblyFile : LLVMObjectFile;
  if (LLVMTargetMachineEmitToMemoryBuffer(tm.get(), mod.get(), ft, &msg, &rawOut))
    Fail(env, "code generation failed", TakeMessage(msg));
  MemBuf out(rawOut);
  if (!diagErrors.empty()) Fail(env, "code generation failed", diagErrors);
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(LLVMGetBufferStart(out.get())),
                                     LLVMGetBufferSize(out.get()));
}

}  // namespace

void InitLlvmEmit(Napi::Env env, Napi::Object exports) {
  ExportFunction(exports, "emitBpfObject", EmitBpfObject);
}

}  // namespace tsbpf
