import { createRequire } from 'node:module';
import type llvmTypes from 'llvm-bindings';
import { Helper } from '../contract/index.js';
import { LLVM_BINDINGS_ADDON } from './llvm-addons.js';

function loadLlvmBindings(): typeof llvmTypes {
  const require = createRequire(import.meta.url);
  try {
    return require(LLVM_BINDINGS_ADDON) as typeof llvmTypes;
  } catch (e) {
    // Built elsewhere (a debug build): the package's own lookup.
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    return require('llvm-bindings') as typeof llvmTypes;
  }
}

// llvm-bindings is CommonJS; only src/codegen loads it, and only in the compile worker. Its addon
// is required by its path: the package's index.js finds it through the `bindings` package (two
// more modules and a few failed requires first, ~1.5 ms of every cold compile). Loaded by the
// first BpfBuilder, not with this module: the worker's front end runs first, while libLLVM loads
// on another thread (src/codegen/llvm-addons.ts). Every use of `llvm` follows a BpfBuilder's.
export let llvm!: typeof llvmTypes;

type Value = llvmTypes.Value;
type Fn = llvmTypes.Function;

/**
 * Bytes of one scratch map entry at most: the kernel refuses per-CPU map values above
 * PCPU_MIN_UNIT_SIZE (32 KiB). A program needing more uses further entries (keys 1, 2, ...).
 */
export const SCRATCH_CHUNK = 32768;

/**
 * Stack slots up to this size (all of them under bpftrace's default on_stack_limit) are shared
 * between statements by the slot pool alone; larger ones get lifetime markers as well (slot).
 */
const MARKERLESS_SLOT_BYTES = 32;

/** zero() and copy() above this many bytes call bpf_probe_read_kernel rather than unrolling stores. */
const BULK_BYTES = 64;

/** A blob too large even for one scratch map entry. */
export class ScratchTooLargeError extends Error {
  override readonly name = 'ScratchTooLargeError';
}

/** One scratch map entry looked up at a function's start: the block doing it and the (non-null) value pointer. */
interface ScratchEntry {
  readonly chunk: number;
  readonly lookup: llvmTypes.BasicBlock;
  readonly ok: llvmTypes.BasicBlock;
  readonly base: Value;
}

/** Placeholder functions for `atomicrmw` (llvm-bindings has none), by the operation they stand for. */
const ATOMIC_FNS = { add: 'tsbpf.atomic.add.i64', or: 'tsbpf.atomic.or.i64' } as const;

/** Placeholder of BpfBuilder.atomicAddKeep: inline asm in the IR text (atomicIr). */
const ATOMIC_ADD_KEEP_FN = 'tsbpf.atomic.add.keep';

/** The IR text with every BpfBuilder.atomicAdd / atomicOr placeholder call replaced by its `atomicrmw` (and its declaration dropped). */
export function atomicIr(text: string): string {
  if (text.includes(ATOMIC_ADD_KEEP_FN)) {
    const name = ATOMIC_ADD_KEEP_FN.replace(/\./g, '\\.');
    text = text
      .replace(new RegExp(`^declare void @${name}\\(.*\\n`, 'm'), '')
      .replace(new RegExp(`call void @${name}\\((i8\\* [^,]+), i64 (\\d+), (i64 [^)]+)\\)`, 'g'), 'call void asm sideeffect "lock *(u64 *)($$0 + $2) += $$1", "r,r,~{memory}"($1, $3)');
  }
  for (const [op, fn] of Object.entries(ATOMIC_FNS)) {
    if (!text.includes(fn)) continue;
    const name = fn.replace(/\./g, '\\.');
    text = text
      .replace(new RegExp(`^declare i64 @${name}\\(.*\\n`, 'm'), '')
      .replace(new RegExp(`call i64 @${name}\\(i64\\* ([^,]+), i64 ([^)]+)\\)`, 'g'), `atomicrmw ${op} i64* $1, i64 $2 monotonic`);
  }
  return text;
}

export const BPF_DATA_LAYOUT = 'e-m:e-p:64:64-i64:64-i128:128-n32:64-S128';
export const BPF_PSEUDO_MAP_FD = 1;
/** `ld_imm64` of a map value's address (imm = map id, next imm = offset): array maps of one entry only. */
export const BPF_PSEUDO_MAP_VALUE = 2;

/**
 * An IRBuilder that speaks BPF: helper calls, map references, stack slots in the entry block, and
 * byte copies with the widest loads the alignment allows (LLVM's memcpy expansion on BPF copies
 * byte by byte when it cannot prove alignment).
 */
export class BpfBuilder {
  readonly context = new (llvm ??= loadLlvmBindings()).LLVMContext();
  readonly module: llvmTypes.Module;
  readonly b: llvmTypes.IRBuilder;
  readonly i1: llvmTypes.IntegerType;
  readonly i8: llvmTypes.IntegerType;
  readonly i64: llvmTypes.IntegerType;
  readonly i8p: llvmTypes.PointerType;
  private fn: Fn | undefined;
  private allocaBuilder: llvmTypes.IRBuilder | undefined;
  private entry: llvmTypes.BasicBlock | undefined;
  private readonly pseudo: llvmTypes.FunctionCallee;

  /**
   * Per-CPU scratch area (module header comment of src/codegen/module.ts): the map index, or
   * undefined to keep every blob on the stack. Each program hands out fixed addresses
   * (chunk * SCRATCH_CHUNK + offset) from 0, a statement's again after it (beginTemps); its
   * callbacks continue its count.
   */
  scratchMap: number | undefined;
  /** The script's `on_stack_limit` (IrModule.onStackLimit): `slot()` puts larger blobs in the scratch map. */
  onStackLimit = 0;
  private scratchChunk = 0;
  private scratchUsed = 0;
  /** The largest entry any program filled and the most entries any program used: the map's value size and max_entries. */
  scratchValueSize = 0;
  scratchEntries = 0;
  /** The scratch entries the current function looked up, and its 4-byte key slot. */
  private scratch: ScratchEntry[] = [];
  private scratchKey: Value | undefined;
  /** What the current function returns when a scratch lookup fails (never, for an array index in range). */
  private scratchFailRet = 0n;

  constructor(name: string) {
    this.module = new llvm.Module(name, this.context);
    this.module.setTargetTriple('bpfel');
    this.module.setDataLayout(BPF_DATA_LAYOUT);
    this.b = new llvm.IRBuilder(this.context);
    this.i1 = this.b.getInt1Ty();
    this.i8 = this.b.getInt8Ty();
    this.i64 = this.b.getInt64Ty();
    this.i8p = this.b.getInt8PtrTy();
    this.pseudo = this.module.getOrInsertFunction('llvm.bpf.pseudo', llvm.FunctionType.get(this.i64, [this.i64, this.i64], false));
  }

  /** Start a probe function `i64 name(i8* ctx)`; returns the context argument. */
  /** `failRet`: what the program returns when a scratch lookup fails (a packet program's default verdict). */
  beginFunction(name: string, failRet = 0n): Value {
    const fnType = llvm.FunctionType.get(this.i64, [this.i8p], false);
    this.fn = llvm.Function.Create(fnType, llvm.Function.LinkageTypes.ExternalLinkage, name, this.module);
    this.entry = llvm.BasicBlock.Create(this.context, 'entry', this.fn);
    this.scratchChunk = 0;
    this.scratchUsed = 0;
    this.scratch = [];
    this.scratchKey = undefined;
    this.scratchFailRet = failRet;
    this.entryValueRefs = new Map();
    this.allocaBuilder = new llvm.IRBuilder(this.entry);
    this.bodyBlock = this.block('body');
    this.b.SetInsertPoint(this.bodyBlock);
    return this.fn.getArg(0);
  }

  endFunction(ret?: Value): void {
    this.b.CreateRet(ret ?? this.int(0n));
    // The entry block holds only stack slots; it falls through to the body.
    this.linkEntry();
    this.fn = undefined;
  }

  /**
   * Close the entry block: straight to the body, or first through the scratch lookups, each
   * `p = lookup(key); if (!p) return fail;` (the verifier needs the null check before any
   * arithmetic on p, hence the separate `ok` block holding the address computations).
   */
  private linkEntry(): void {
    if (this.scratch.length === 0) {
      this.allocaBuilder!.CreateBr(this.bodyBlock!);
      return;
    }
    this.allocaBuilder!.CreateBr(this.scratch[0]!.lookup);
    const fail = this.block('scratch.fail');
    this.b.SetInsertPoint(fail);
    this.b.CreateRet(this.int(this.scratchFailRet));
    this.scratch.forEach((e, i) => {
      this.b.SetInsertPoint(e.lookup);
      this.b.CreateCondBr(this.b.CreateIsNull(e.base), fail, e.ok);
      this.b.SetInsertPoint(e.ok);
      this.b.CreateBr(this.scratch[i + 1]?.lookup ?? this.bodyBlock!);
    });
  }

  private bodyBlock: llvmTypes.BasicBlock | undefined;

  /** Functions whose building a callback interrupted (beginCallback/endCallback), innermost last. */
  private readonly suspended: {
    fn: Fn | undefined;
    entry: llvmTypes.BasicBlock | undefined;
    allocaBuilder: llvmTypes.IRBuilder | undefined;
    bodyBlock: llvmTypes.BasicBlock | undefined;
    insert: llvmTypes.BasicBlock | null;
    scratch: ScratchEntry[];
    scratchKey: Value | undefined;
    scratchFailRet: bigint;
    entryValueRefs: Map<number, Value>;
  }[] = [];

  /**
   * Start a callback subprogram `i64 name(params)` while another function is being built: internal
   * linkage, no section (so `.text`); its address goes to a helper (bpf_loop,
   * bpf_for_each_map_elem) and the ELF linker appends it to each program that refers to it.
   * Returns the function; `endCallback` returns to the interrupted function.
   */
  beginCallback(name: string, params: llvmTypes.Type[]): Fn {
    this.suspended.push({
      fn: this.fn, entry: this.entry, allocaBuilder: this.allocaBuilder, bodyBlock: this.bodyBlock, insert: this.b.GetInsertBlock(),
      scratch: this.scratch, scratchKey: this.scratchKey, scratchFailRet: this.scratchFailRet, entryValueRefs: this.entryValueRefs,
    });
    this.entryValueRefs = new Map();
    const fnType = llvm.FunctionType.get(this.i64, params, false);
    const fn = llvm.Function.Create(fnType, llvm.Function.LinkageTypes.InternalLinkage, name, this.module);
    this.fn = fn;
    this.entry = llvm.BasicBlock.Create(this.context, 'entry', fn);
    this.allocaBuilder = new llvm.IRBuilder(this.entry);
    this.bodyBlock = this.block('body');
    this.b.SetInsertPoint(this.bodyBlock);
    // The callback looks the scratch entries up itself (same CPU, same memory); a failure stops the iteration.
    this.scratch = [];
    this.scratchKey = undefined;
    this.scratchFailRet = 1n;
    return fn;
  }

  /** Finish the callback (falling off its end returns `fallthrough`) and resume the interrupted function. */
  endCallback(fallthrough: bigint): void {
    this.b.CreateRet(this.int(fallthrough));
    this.linkEntry();
    const s = this.suspended.pop()!;
    this.fn = s.fn;
    this.entry = s.entry;
    this.allocaBuilder = s.allocaBuilder;
    this.bodyBlock = s.bodyBlock;
    this.scratch = s.scratch;
    this.scratchKey = s.scratchKey;
    this.scratchFailRet = s.scratchFailRet;
    this.entryValueRefs = s.entryValueRefs;
    if (s.insert) this.b.SetInsertPoint(s.insert);
  }

  /** A function's address as an i8* argument of a helper (`ld_imm64 rX, fn` after linking). */
  fnPtr(fn: Fn): Value {
    return this.b.CreateBitCast(fn, this.i8p);
  }

  block(name: string): llvmTypes.BasicBlock {
    return llvm.BasicBlock.Create(this.context, name, this.fn!);
  }

  /**
   * Move `block` after every block created so far: an else or join block made before the blocks
   * of the branch before it then follows them, so the function's block order is the source order
   * and a branch's last block (an error count, say) falls through into what comes after it instead
   * of jumping back. The order matters: the BPF backend cannot reverse a conditional branch, so
   * LLVM keeps the IR's block order where a reordering would need one (instruction selection
   * still inverts a branch whose true side is the next block).
   */
  toEnd(block: llvmTypes.BasicBlock): void {
    block.removeFromParent();
    block.insertInto(this.fn!);
  }

  private readonly ints = new Map<number, Value>();

  /** A 64-bit constant; values beyond 2^53 are built from two halves (folded by LLVM). */
  int(v: bigint): Value {
    const n = BigInt.asIntN(64, v);
    if (n >= -(1n << 52n) && n < 1n << 52n) {
      // LLVM uniques constants per context: the cache only saves the native call (a hot one: several per statement).
      const key = Number(n);
      let c = this.ints.get(key);
      if (c === undefined) this.ints.set(key, (c = llvm.ConstantInt.get(this.i64, key, true)));
      return c;
    }
    const u = BigInt.asUintN(64, n);
    const hi = llvm.ConstantInt.get(this.i64, Number(u >> 32n), false);
    const lo = llvm.ConstantInt.get(this.i64, Number(u & 0xffffffffn), false);
    return this.b.CreateOr(this.b.CreateShl(hi, llvm.ConstantInt.get(this.i64, 32, false)), lo);
  }

  intN(bits: number): llvmTypes.IntegerType {
    return this.b.getIntNTy(bits);
  }

  /**
   * A zero-initialised-later slot of `size` bytes, 8-aligned. Returns i8*. Up to `onStackLimit`
   * bytes (or with `onStack`: memory a helper needs on the stack, such as bpf_loop's context, or
   * that holds a pointer, which the verifier refuses to store in a map value) it is an alloca in
   * the entry block; larger ones are in the per-CPU scratch map when there is one.
   * Inside a temporaries scope (beginTemps) the slot is the scope's until it ends, then free for
   * the next statement: a stack slot goes back to a pool of slots of its size, scratch bytes are
   * handed out again. `persistent` slots (kept across statements) are never scoped.
   */
  slot(size: number, name = 'slot', onStack = false, persistent = false): Value {
    const scope = persistent ? undefined : this.tempScopes[this.tempScopes.length - 1];
    if (!onStack && this.scratchMap !== undefined && size > this.onStackLimit) return this.scratchAt(this.scratchReserve(size));
    const words = Math.max(1, Math.ceil(size / 8));
    // A slot of this size a finished statement gave back: a function has as many slots as its
    // deepest live set, so its stack does not grow with its statements. (Not LLVM lifetime
    // markers: thousands of allocas made its stack colouring quadratic, and the markers alone
    // cost a quarter of the compile of a long probe.)
    const free = scope ? this.freeSlots.get(this.fn!)?.get(words) : undefined;
    const p = free?.pop() ?? this.allocaBuilder!.CreateBitCast(this.allocaBuilder!.CreateAlloca(llvm.ArrayType.get(this.i64, words), null, name), this.i8p);
    // A large temporary on the stack (on_stack_limit above the default): the pool alone would keep
    // one slot per size ever used, so it gets lifetime markers too and LLVM's stack colouring lets
    // slots of different sizes share bytes across statements. Only these: the markers are costly.
    const marked = scope !== undefined && words * 8 > MARKERLESS_SLOT_BYTES;
    if (marked) this.b.CreateCall(this.lifetime('start'), [this.int(BigInt(words * 8)), p]);
    scope?.slots.push({ fn: this.fn!, slot: p, words, marked });
    return p;
  }

  /** `llvm.lifetime.start`/`end` for an i8* slot (slot, endTemps). */
  private lifetime(which: 'start' | 'end'): llvmTypes.FunctionCallee {
    const fnType = llvm.FunctionType.get(this.b.getVoidTy(), [this.i64, this.i8p], false);
    return this.module.getOrInsertFunction(`llvm.lifetime.${which}.p0i8`, fnType);
  }

  /** Temporaries scopes, innermost last (beginTemps/endTemps): their stack slots and the scratch area's fill at the start. */
  private readonly tempScopes: { slots: { fn: Fn; slot: Value; words: number; marked: boolean }[]; scratchChunk: number; scratchUsed: number }[] = [];
  /** Per function, the stack slots of ended scopes by size in words, free for the next statement. */
  private readonly freeSlots = new Map<Fn, Map<number, Value[]>>();

  /**
   * Open a scope for the temporaries of one statement: the stack slots and scratch bytes
   * `slot()` hands out until `endTemps` are that statement's alone, so a probe's stack is its
   * deepest live set of temporaries, not the sum over its statements. Scopes nest (a statement
   * inside an `if`, a block expression); a slot outlives its scope only if `persistent`.
   */
  beginTemps(): void {
    this.tempScopes.push({ slots: [], scratchChunk: this.scratchChunk, scratchUsed: this.scratchUsed });
  }

  /** Close the innermost temporaries scope: its stack slots go back to the pool, its scratch bytes are free. */
  endTemps(): void {
    const scope = this.tempScopes.pop()!;
    for (const t of scope.slots) {
      // A slot of another function (a callback built meanwhile) lives to its function's end.
      if (t.marked && t.fn === this.fn) this.b.CreateCall(this.lifetime('end'), [this.int(BigInt(t.words * 8)), t.slot]);
      let bySize = this.freeSlots.get(t.fn);
      if (!bySize) this.freeSlots.set(t.fn, (bySize = new Map()));
      let list = bySize.get(t.words);
      if (!list) bySize.set(t.words, (list = []));
      list.push(t.slot);
    }
    this.scratchChunk = scope.scratchChunk;
    this.scratchUsed = scope.scratchUsed;
  }

  /** Reserve `size` bytes (rounded up to 8) of the current program's scratch area; returns their address. */
  scratchReserve(size: number): number {
    const n = Math.max(8, Math.ceil(size / 8) * 8);
    if (n > SCRATCH_CHUNK) throw new ScratchTooLargeError(`a value of ${size} bytes is larger than the ${SCRATCH_CHUNK}-byte scratch area`);
    if (this.scratchUsed + n > SCRATCH_CHUNK) {
      this.scratchChunk++;
      this.scratchUsed = 0;
    }
    const addr = this.scratchChunk * SCRATCH_CHUNK + this.scratchUsed;
    this.scratchUsed += n;
    this.scratchValueSize = Math.max(this.scratchValueSize, this.scratchUsed);
    this.scratchEntries = Math.max(this.scratchEntries, this.scratchChunk + 1);
    return addr;
  }

  /** A pointer (i8*, 8-aligned) to scratch address `addr` in the current function. */
  scratchAt(addr: number): Value {
    const chunk = Math.floor(addr / SCRATCH_CHUNK);
    const offset = addr % SCRATCH_CHUNK;
    const e = this.scratchEntry(chunk);
    const here = this.b.GetInsertBlock();
    this.b.SetInsertPoint(e.ok);
    const p = this.ptrAt(e.base, offset);
    if (here) this.b.SetInsertPoint(here);
    return p;
  }

  private scratchEntry(chunk: number): ScratchEntry {
    const found = this.scratch.find((e) => e.chunk === chunk);
    if (found) return found;
    if (this.scratchMap === undefined) throw new Error('no scratch map');
    const here = this.b.GetInsertBlock();
    if (!this.scratchKey) {
      const k = this.allocaBuilder!.CreateAlloca(this.b.getInt32Ty(), null, 'scratchkey');
      this.scratchKey = this.allocaBuilder!.CreateBitCast(k, this.i8p);
    }
    const lookup = this.block(`scratch${chunk}`);
    const ok = this.block(`scratch${chunk}.ok`);
    this.b.SetInsertPoint(lookup);
    this.store(this.scratchKey, 0, 4, this.int(BigInt(chunk)));
    const base = this.helper(Helper.map_lookup_elem, this.i8p, [this.mapRef(this.scratchMap), this.scratchKey]);
    if (here) this.b.SetInsertPoint(here);
    const e: ScratchEntry = { chunk, lookup, ok, base };
    this.scratch.push(e);
    this.scratch.sort((a, b) => a.chunk - b.chunk);
    return e;
  }

  /** An i64 stack slot in the entry block, stored 0 there. */
  intSlot(name = 'var'): Value {
    const a = this.allocaBuilder!.CreateAlloca(this.i64, null, name);
    this.allocaBuilder!.CreateStore(this.int(0n), a);
    return a;
  }

  helper(id: number, ret: llvmTypes.Type, args: Value[]): Value {
    const fnType = llvm.FunctionType.get(ret, args.map((a) => a.getType()), false);
    const callee = this.b.CreateIntToPtr(this.int(BigInt(id)), llvm.PointerType.get(fnType, 0));
    return this.b.CreateCall(fnType, callee, args);
  }

  /**
   * A call of kernel function `name` (a kfunc): an external function LLVM calls through a
   * relocation against its name, which src/codegen/link.ts turns into the kfunc's BTF id.
   */
  kfunc(name: string, ret: llvmTypes.Type, args: Value[]): Value {
    const fnType = llvm.FunctionType.get(ret, args.map((a) => a.getType()), false);
    const fn = this.module.getFunction(name) ?? llvm.Function.Create(fnType, llvm.Function.LinkageTypes.ExternalLinkage, name, this.module);
    return this.b.CreateCall(fn, args);
  }

  /**
   * The address of kernel variable `name` (a ksym): an external global whose `ld_imm64`
   * relocation src/codegen/link.ts turns into the variable's BTF id (BPF_PSEUDO_BTF_ID).
   */
  ksym(name: string): Value {
    const g = this.module.getGlobalVariable(name) ?? new llvm.GlobalVariable(this.module, this.i8, false, llvm.Function.LinkageTypes.ExternalLinkage, null, name);
    return this.b.CreatePtrToInt(g, this.i64);
  }

  /** A map reference the loader patches: `ld_imm64 rX, map[index]` with src_reg BPF_PSEUDO_MAP_FD. */
  mapRef(index: number): Value {
    const v = this.b.CreateCall(this.pseudo, [this.int(BigInt(BPF_PSEUDO_MAP_FD)), this.int(BigInt(index))]);
    return this.b.CreateIntToPtr(v, this.i8p);
  }

  /**
   * The address of the value of a one-entry ARRAY map (`ld_imm64 rX, map_value[index]`, src_reg
   * BPF_PSEUDO_MAP_VALUE): two instructions instead of a lookup, its key and a null check.
   */
  mapValueRef(index: number): Value {
    const v = this.b.CreateCall(this.pseudo, [this.int(BigInt(BPF_PSEUDO_MAP_VALUE)), this.int(BigInt(index))]);
    return this.b.CreateIntToPtr(v, this.i8p);
  }

  /**
   * `mapValueRef(index)` computed once per function, in its entry block: every use shares one
   * address (LLVM keeps it in a register or reloads it from the stack), and stores through it
   * that nothing reads in between are one store (LLVM's dead store elimination; a pseudo
   * instruction per use would hide that they are the same address).
   */
  entryMapValueRef(index: number): Value {
    const known = this.entryValueRefs.get(index);
    if (known) return known;
    const a = this.allocaBuilder!;
    const v = a.CreateIntToPtr(a.CreateCall(this.pseudo, [this.int(BigInt(BPF_PSEUDO_MAP_VALUE)), this.int(BigInt(index))]), this.i8p);
    this.entryValueRefs.set(index, v);
    return v;
  }

  /**
   * The i64 at byte `offset` of map `index`'s one value, as a typed pointer made once per function
   * in its entry block (entryMapValueRef): a load or store through it is one native call.
   */
  entryMapValueWord(index: number, offset: number): Value {
    const key = -1 - (index * 4096 + offset);
    const known = this.entryValueRefs.get(key);
    if (known) return known;
    const a = this.allocaBuilder!;
    const base = this.entryMapValueRef(index);
    const p = a.CreateBitCast(offset === 0 ? base : a.CreateGEP(this.i8, base, [this.int(BigInt(offset))]), this.llvmPtrTo(this.i64));
    this.entryValueRefs.set(key, p);
    return p;
  }

  /** The function's entryMapValueRef addresses by map index, and its entryMapValueWord pointers (negative keys). */
  private entryValueRefs = new Map<number, Value>();

  /**
   * `*p += v` as one atomic instruction (`lock *(u64 *)(rX + 0) += rY`). llvm-bindings has no
   * atomicrmw: this emits a call of a placeholder that `atomicIr` turns into one in the IR text.
   */
  atomicAdd(p: Value, v: Value): void {
    this.atomic('add', p, v);
  }

  /** `*p |= v` as one atomic instruction (`lock *(u64 *)(rX + 0) |= rY`, or its fetching form: one instruction too). */
  atomicOr(p: Value, v: Value): void {
    this.atomic('or', p, v);
  }

  /**
   * `*(u64 *)(base + offset) += v` as one atomic instruction that leaves `v`'s register as it was.
   * LLVM 14 models every BPF atomic as one that writes its old value into its source register (the
   * fetching form), so a value used again after an atomicAdd is copied to another register first (a
   * move); this inline asm reads its operands only. The offset is part of the instruction.
   */
  atomicAddKeep(base: Value, offset: number, v: Value): void {
    // An instruction's offset is an s16: farther, the address is computed first.
    if (offset > 0x7fff) {
      base = this.b.CreateGEP(this.i8, base, [this.int(BigInt(offset))]);
      offset = 0;
    }
    const fnType = llvm.FunctionType.get(this.b.getVoidTy(), [this.i8p, this.i64, this.i64], false);
    this.b.CreateCall(this.module.getOrInsertFunction(ATOMIC_ADD_KEEP_FN, fnType), [base, this.int(BigInt(offset)), v]);
  }

  private atomic(op: keyof typeof ATOMIC_FNS, p: Value, v: Value): void {
    const fnType = llvm.FunctionType.get(this.i64, [this.llvmPtrTo(this.i64), this.i64], false);
    this.b.CreateCall(this.module.getOrInsertFunction(ATOMIC_FNS[op], fnType), [p, v]);
  }

  /**
   * `v` unchanged, but opaque to LLVM's optimizer (`llvm.bpf.passthrough`, lowered late by the BPF
   * backend): a bounds check on the result survives even where LLVM can prove it redundant, so the
   * verifier sees it (a divided value's range is lost to the multiply LLVM turns the division into).
   */
  opaque(v: Value): Value {
    const fnType = llvm.FunctionType.get(this.i64, [this.b.getInt32Ty(), this.i64], false);
    return this.b.CreateCall(this.module.getOrInsertFunction('llvm.bpf.passthrough.i64.i64', fnType), [this.b.getInt32(this.passthroughSeq++), v]);
  }

  private passthroughSeq = 0;

  /** `opaque` for an i32 (LLVM would turn a sign test of a truncated value into a 64-bit mask test). */
  opaque32(v: Value): Value {
    const i32 = this.b.getInt32Ty();
    const fnType = llvm.FunctionType.get(i32, [i32, i32], false);
    return this.b.CreateCall(this.module.getOrInsertFunction('llvm.bpf.passthrough.i32.i32', fnType), [this.b.getInt32(this.passthroughSeq++), v]);
  }

  /**
   * Pointer `p` unchanged but opaque to LLVM (see `opaque`): a context read through it keeps its
   * offset in the load instruction. Otherwise LLVM may compute `ctx + off` once for several reads
   * and keep it in a register, and the verifier refuses a load through a modified context pointer.
   */
  opaquePtr(p: Value): Value {
    return this.b.CreateIntToPtr(this.opaque(this.b.CreatePtrToInt(p, this.i64)), this.i8p);
  }

  ptrAt(base: Value, offset: number): Value {
    return offset === 0 ? base : this.b.CreateGEP(this.i8, base, [this.int(BigInt(offset))]);
  }

  load(base: Value, offset: number, bytes: number): Value {
    const ty = this.intN(bytes * 8);
    const p = this.b.CreateBitCast(this.ptrAt(base, offset), llvm.PointerType.get(ty, 0));
    return this.b.CreateLoad(ty, p);
  }

  store(base: Value, offset: number, bytes: number, value: Value): void {
    const ty = this.intN(bytes * 8);
    const p = this.b.CreateBitCast(this.ptrAt(base, offset), llvm.PointerType.get(ty, 0));
    this.b.CreateStore(value.getType() === ty ? value : this.b.CreateTrunc(value, ty), p);
  }

  /** Load `bytes` bytes and extend to i64. */
  loadI64(base: Value, offset: number, bytes: number, signed: boolean): Value {
    const v = this.load(base, offset, bytes);
    if (bytes === 8) return v;
    return signed ? this.b.CreateSExt(v, this.i64) : this.b.CreateZExt(v, this.i64);
  }

  /** Store the low `bytes` bytes of an i64. */
  storeI64(base: Value, offset: number, bytes: number, value: Value): void {
    this.store(base, offset, bytes, bytes === 8 ? value : this.b.CreateTrunc(value, this.intN(bytes * 8)));
  }

  zero(dst: Value, size: number, dstAlign = 8): void {
    if (size > BULK_BYTES) {
      // bpf_probe_read_kernel zeroes its destination when the read fails, and an address below
      // the kernel's fails at once (bpftrace's CreateMemsetBPF does the same). One call instead of
      // size/8 stores, which LLVM would also merge into a memset the BPF backend cannot lower.
      this.helper(Helper.probe_read_kernel, this.i64, [dst, this.int(BigInt(size)), llvm.ConstantPointerNull.get(this.i8p)]);
      return;
    }
    this.chunks(size, dstAlign, 0, (off, n) => this.store(dst, off, n, llvm.ConstantInt.get(this.intN(n * 8), 0, false)));
  }

  copy(dst: Value, dstAlign: number, src: Value, srcAlign: number, size: number): void {
    if (size > BULK_BYTES) {
      // Stack or map memory: bpf_probe_read_kernel copies it (bpftrace's CreateMemcpyBPF).
      this.helper(Helper.probe_read_kernel, this.i64, [dst, this.int(BigInt(size)), src]);
      return;
    }
    this.chunks(size, Math.min(dstAlign, srcAlign), 0, (off, n) => this.store(dst, off, n, this.load(src, off, n)));
  }

  /** Split [0,size) into the widest aligned power-of-two chunks. */
  private chunks(size: number, align: number, start: number, f: (offset: number, bytes: number) => void): void {
    let off = start;
    while (off < size) {
      let n = 8;
      while (n > 1 && (n > align || off % n !== 0 || off + n > size)) n /= 2;
      f(off, n);
      off += n;
    }
  }

  llvmPtrTo(t: llvmTypes.Type): llvmTypes.PointerType {
    return llvm.PointerType.get(t, 0);
  }

  toBool(v: Value): Value {
    return this.b.CreateICmpNE(v, this.int(0n));
  }

  fromBool(v: Value): Value {
    return this.b.CreateZExt(v, this.i64);
  }

  print(): string {
    return this.module.print();
  }
}

/** Alignment guaranteed for `offset` bytes past an 8-aligned base. */
export function alignAt(offset: number, baseAlign = 8): number {
  let a = baseAlign;
  while (a > 1 && offset % a !== 0) a /= 2;
  return a;
}
