import type llvmTypes from 'llvm-bindings';
import { assertNever } from '../ast/nodes.js';
import type { IrBlob, IrCallArg, IrExpr, IrLibExpr, IrModule, IrProgram, IrStmt } from '../ir/ir.js';
import { checkedInsertSites, usesInsertCounters } from '../ir/insert-checks.js';
import { blobSize } from '../ir/blob-size.js';
import { encodeBytes, Helper, HELPER_ERROR_ONE, helperErrorSlot, MapType, SCALAR_SET_FLAG_OFFSET } from '../contract/index.js';
import { alignAt, atomicIr, BpfBuilder, llvm } from './bpf-builder.js';
import { FRAME_CTX, FRAME_RETURNED, frameLayout, usesCallbacks } from './callbacks.js';

type Value = llvmTypes.Value;

const BPF_ANY = 0n;
/** The shared error-report subprogram (ProgramGen.errorPath), one per module. */
const ERROR_PATH_FN = 'tsbpf_helper_error';
const errorPaths = new WeakMap<BpfBuilder, llvmTypes.Function>();
/** String-loop callback states (stringsEqualLoop, strContains): stopped at a NUL (or equal), strings differ, needle found. */
const STRLOOP_DONE = 1n;
const STRLOOP_DIFFER = 2n;
const STRLOOP_FOUND = 3n;
/** 8-byte words per call of the string-equality callback (64 bytes). */
const STREQ_WORDS = 8;
const BPF_NOEXIST = 1n;
/** Strings compared byte by byte inline up to this size; longer ones by stringsEqualLoop (code size, not placement). */
const UNROLLED_STREQ_BYTES = 32;

/**
 * Turns the tsbpf IR into one LLVM module with one function per probe program.
 *
 * Blobs (strings, tuples, map keys and values, event records, blob variables) larger than
 * `ir.onStackLimit` bytes (the script's on_stack_limit, bpftrace's default 32; 0 puts every blob
 * there) are not on the 512-byte BPF stack but in the per-CPU scratch map
 * `ir.scratchMap` (a PERCPU_ARRAY, as bpftrace 0.23+ does): each program looks its entry up once
 * at its start (returning 0 if that fails) and gives every large blob a fixed offset in it: a
 * variable's for the whole program, a statement's temporary until the statement ends (the next
 * statement's temporaries take the same bytes; BpfBuilder.beginTemps). Its callbacks do their own
 * lookup and continue the same offsets, so they see the program's large variables. Past SCRATCH_CHUNK (32 KiB, the kernel's per-CPU value
 * limit) a program goes on in the next entry. All programs share the map from offset 0: the map's
 * value size is the largest need of one program, not the sum.
 *
 * Sharing is safe as long as two tsbpf programs never run interleaved on one CPU. The kernel
 * prevents that for kprobe/uprobe/tracepoint/perf_event programs (bpf_prog_active: a program
 * firing while another runs on that CPU is skipped and counted as missed) and for a trampoline
 * program re-entering itself; what remains is a perf_event program (profile:, hardware:) in NMI
 * context, or preemption on a PREEMPT kernel, interrupting an fentry/rawtracepoint program mid-way,
 * which could see (and clobber) that program's temporaries. bpftrace accepts the same risk.
 */
export function buildModule(ir: IrModule): { text: string; sections: Record<string, string>; scratch: { valueSize: number; entries: number } } {
  const bb = new BpfBuilder('tsbpf');
  bb.scratchMap = ir.scratchMap;
  bb.onStackLimit = ir.onStackLimit;
  const sections: Record<string, string> = {};
  for (const prog of ir.programs) {
    new ProgramGen(bb, ir, prog).generate();
    sections[prog.name] = prog.section;
  }
  // llvm-bindings has no function attributes: keep the error path a real subprogram (not inlined at every site).
  const text = atomicIr(bb.print()).replace(new RegExp(`^(define internal i64 @${ERROR_PATH_FN}\\([^)]*\\))`, 'm'), '$1 noinline');
  return { text, sections, scratch: { valueSize: bb.scratchValueSize, entries: bb.scratchEntries } };
}

class ProgramGen {
  private ctx!: Value;
  private intVars = new Map<number, Value>();
  private blobVars = new Map<number, Value>();
  private zeroKey: Value | undefined;
  /** The `helper-error` record slot of the current function (helperError). */
  private errRec: Value | undefined;
  /** Innermost loop last: where `continue` and `break` go. */
  private readonly loops: { next: llvmTypes.BasicBlock; exit: llvmTypes.BasicBlock }[] = [];
  /** The variable frame shared with callbacks (src/codegen/callbacks.ts); undefined when the program has none. */
  private frame: Value | undefined;
  /** Generating a callback subprogram: `return` sets the frame's flag and stops the iteration. */
  private inCallback = false;
  private callbackCount = 0;
  /** Large blob variables of a program with callbacks: their scratch addresses (they are not in the frame). */
  private readonly scratchVars = new Map<number, number>();

  /** Whether this program's map-update checks count into `.helper-errors` (insertFailed); else they call the error subprogram. */
  private readonly countsInserts: boolean;
  /** Scalar int arrays (IrMap.intArray): their stores check nothing (src/ir/insert-checks.ts). */
  private readonly uncheckedMaps: ReadonlySet<number>;

  /**
   * The `.helper-errors` value address, loaded once at the program's start when two or more sites
   * count into it (each site's block then needs no address load of its own); undefined otherwise.
   */
  private counterBase: Value | undefined;

  constructor(
    private readonly bb: BpfBuilder,
    private readonly ir: IrModule,
    private readonly prog: IrProgram,
  ) {
    this.uncheckedMaps = new Set(ir.maps.filter((m) => m.intArray).map((m) => m.id));
    this.countsInserts = ir.helperErrorMap !== undefined && usesInsertCounters(prog.body, this.uncheckedMaps);
  }

  private get b(): llvmTypes.IRBuilder {
    return this.bb.b;
  }

  generate(): void {
    this.ctx = this.bb.beginFunction(this.prog.name, this.prog.verdict?.fallback ?? 0n);
    if (usesCallbacks(this.prog.body)) this.allocFrame();
    else for (const v of this.prog.vars) {
      if (v.size === undefined) this.intVars.set(v.id, this.bb.intSlot(`v${v.id}`));
      else this.blobVars.set(v.id, this.bb.slot(v.size, `v${v.id}`));
    }
    // Blob variables start zeroed (bpftrace: uninitialised scratch variables are zero).
    if (!this.frame) for (const v of this.prog.vars) if (v.size !== undefined) this.bb.zero(this.blobVars.get(v.id)!, v.size);
    if (this.countsInserts && checkedInsertSites(this.prog.body, this.uncheckedMaps) >= 2) this.counterBase = this.bb.mapValueRef(this.ir.helperErrorMap!);
    this.stmts(this.prog.body);
    this.bb.endFunction(this.programResult());
  }

  /** What the program returns to the kernel: a packet program's verdict variable, else 0. */
  private programResult(): Value {
    const v = this.prog.verdict;
    return v ? this.b.CreateLoad(this.bb.i64, this.intVars.get(v.var)!) : this.bb.int(0n);
  }

  // ------------------------------------------------------------------ statements

  private stmts(list: readonly IrStmt[]): void {
    for (const s of list) this.stmt(s);
  }

  /** One statement; the slots and scratch bytes its temporaries take are free again after it (BpfBuilder.beginTemps). */
  private stmt(s: IrStmt): void {
    this.bb.beginTemps();
    this.stmtBody(s);
    this.bb.endTemps();
    if (++this.sinceBlockEnd >= STATEMENTS_PER_BLOCK && !this.inCallback) this.endBlock();
  }

  /** Statements since the last basic block boundary (endBlock). */
  private sinceBlockEnd = 0;

  /**
   * End the basic block with a branch LLVM cannot fold (`if (opaque 1 == 0) return`, never
   * taken; the verifier sees the constant and skips it). LLVM's instruction selection works a
   * block at a time and is quadratic in a block's size: thousands of branch-free statements (map
   * updates without checks, --no-warnings) in one block took seconds. Two instructions a block.
   */
  private endBlock(): void {
    this.sinceBlockEnd = 0;
    const b = this.b;
    const leave = this.bb.block('split.ret');
    const next = this.bb.block('split');
    b.CreateCondBr(b.CreateICmpEQ(this.bb.opaque(this.bb.int(1n)), this.bb.int(0n)), leave, next);
    b.SetInsertPoint(leave);
    b.CreateRet(this.programResult());
    b.SetInsertPoint(next);
  }

  private stmtBody(s: IrStmt): void {
    const bb = this.bb;
    switch (s.op) {
      case 'mapSet': {
        if (this.ir.maps[s.map]?.intArray) {
          const v = s.value.op === 'int' && s.value.size === 8 ? this.expr(s.value.value) : bb.load(this.blob(s.value), 0, 8);
          this.storeIntArray(s.map, v);
          return;
        }
        // The key and value slots are this statement's temporaries (stmt: beginTemps/endTemps).
        // Key and value first, the map's address load last: built before a helper call the key or
        // value makes, the address would have to live in a register across it (a move more).
        const key = this.keyPtr(s.map, s.key);
        const value = this.blob(s.value);
        this.insertFailed(bb.helper(Helper.map_update_elem, bb.i64, [bb.mapRef(s.map), key, value, bb.int(BPF_ANY)]), s.err);
        return;
      }
      case 'mapAdd': {
        const delta = this.expr(s.delta);
        if (this.ir.maps[s.map]?.intArray) {
          this.storeIntArray(s.map, this.b.CreateAdd(this.b.CreateLoad(bb.i64, bb.entryMapValueWord(s.map, 0)), delta));
          return;
        }
        // A scalar sum's array entry (its value is 16 bytes, src/passes/scalar-maps.ts) also records that it was written.
        const written = this.isArray(s.map) && (this.ir.maps[s.map]?.valueSize ?? 8) > 8;
        const one = s.delta.op === 'const' && s.delta.value === 1n;
        this.lookupOrInit(s.map, s.key, 8, (p) => {
          this.addInPlace(s.map, p, 0, delta);
          if (written) bb.store(p, 8, 8, bb.int(1n));
        }, (init) => bb.store(init, 0, 8, delta), s.err, one);
        return;
      }
      case 'mapMinMax': {
        const v = this.expr(s.value);
        this.lookupOrInit(
          s.map, s.key, 16,
          (p) => {
            const unset = this.b.CreateICmpEQ(bb.load(p, 8, 8), bb.int(0n));
            const better = s.which === 'min' ? this.b.CreateICmpSLT(v, bb.load(p, 0, 8)) : this.b.CreateICmpSGT(v, bb.load(p, 0, 8));
            this.ifThen(this.b.CreateOr(unset, better), () => {
              bb.store(p, 0, 8, v);
              bb.store(p, 8, 8, bb.int(1n));
            });
          },
          (init) => {
            bb.store(init, 0, 8, v);
            bb.store(init, 8, 8, bb.int(1n));
          },
          s.err,
        );
        return;
      }
      case 'mapCountTotal': {
        const v = this.expr(s.value);
        this.lookupOrInit(
          s.map, s.key, 16,
          (p) => {
            this.addInPlace(s.map, p, 0, bb.int(1n));
            this.addInPlace(s.map, p, 8, v);
          },
          (init) => {
            bb.store(init, 0, 8, bb.int(1n));
            bb.store(init, 8, 8, v);
          },
          s.err,
        );
        return;
      }
      case 'mapBucketAdd': {
        // Opaque, so the `bucket < slots` check below is kept for the verifier.
        const bucket = bb.opaque(this.expr(s.bucket));
        const key = this.keyPtr(s.map, s.key);
        const map = s.map;
        // Values too large for the stack are created from the zero map's value, then looked up again.
        let p = bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(map), key]);
        if (this.isArray(map)) {
          this.ifThen(this.b.CreateAnd(this.b.CreateIsNotNull(p), this.b.CreateICmpULT(bucket, bb.int(BigInt(s.slots)))), () => {
            const cell = this.b.CreateGEP(bb.i64, this.b.CreateBitCast(p, bb.llvmPtrTo(bb.i64)), [bucket]);
            this.b.CreateStore(this.b.CreateAdd(this.b.CreateLoad(bb.i64, cell), bb.int(1n)), cell);
          });
          return;
        }
        const slot = bb.slot(8, 'bucketptr', true);
        const slotP = this.b.CreateBitCast(slot, bb.llvmPtrTo(bb.i8p));
        this.b.CreateStore(p, slotP);
        this.ifThen(this.b.CreateIsNull(p), () => {
          // The zero map (a one-entry array) by its value's address: no lookup.
          const zeros = bb.mapValueRef(this.ir.zeroMap);
          this.insertFailed(bb.helper(Helper.map_update_elem, bb.i64, [bb.mapRef(map), key, zeros, bb.int(BPF_NOEXIST)]), s.err);
          this.b.CreateStore(bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(map), key]), slotP);
        });
        p = this.b.CreateLoad(bb.i8p, slotP);
        const inRange = this.b.CreateICmpULT(bucket, bb.int(BigInt(s.slots)));
        this.ifThen(this.b.CreateAnd(this.b.CreateIsNotNull(p), inRange), () => {
          const cell = this.b.CreateGEP(bb.i64, this.b.CreateBitCast(p, bb.llvmPtrTo(bb.i64)), [bucket]);
          bb.atomicAdd(cell, bb.int(1n));
        });
        return;
      }
      case 'mapTseries':
        this.mapTseries(s);
        return;
      case 'mapDelete': {
        const key = this.blob(s.key); // before the map's address load (see mapSet)
        bb.helper(Helper.map_delete_elem, bb.i64, [bb.mapRef(s.map), key]);
        return;
      }
      case 'emit': {
        const rec = this.blob(s.record);
        const r = bb.helper(Helper.ringbuf_output, bb.i64, [bb.mapRef(this.ir.ringbufMap), rec, bb.int(BigInt(blobSize(s.record))), bb.int(0n)]);
        if (!s.dropOk) this.ifThen(this.b.CreateICmpNE(r, bb.int(0n)), () => this.bumpLost());
        return;
      }
      case 'emitPtr': {
        const rec = this.b.CreateIntToPtr(this.expr(s.ptr), bb.i8p);
        const r = bb.helper(Helper.ringbuf_output, bb.i64, [bb.mapRef(this.ir.ringbufMap), rec, bb.int(BigInt(s.size)), bb.int(0n)]);
        this.ifThen(this.b.CreateICmpNE(r, bb.int(0n)), () => this.bumpLost());
        return;
      }
      case 'setVar':
        this.b.CreateStore(this.expr(s.value), this.intVars.get(s.id)!);
        return;
      case 'setVarBlob': {
        const dst = this.blobVars.get(s.id)!;
        const size = blobSize(s.value);
        // Blobs that cannot read the variable itself once their writes start are built in place (no temporary and copy: a struct read stays one blob).
        if (s.value.op === 'readStr' || s.value.op === 'readBytes' || s.value.op === 'comm' || s.value.op === 'string' || s.value.op === 'zero') this.fill(dst, s.value);
        else bb.copy(dst, 8, this.blob(s.value), 8, size);
        return;
      }
      case 'if': {
        const cond = bb.toBool(this.expr(s.cond));
        const thenB = bb.block('then');
        const elseB = bb.block('else');
        const join = bb.block('endif');
        this.b.CreateCondBr(cond, thenB, elseB);
        this.b.SetInsertPoint(thenB);
        this.stmts(s.then);
        this.b.CreateBr(join);
        bb.toEnd(elseB);
        this.b.SetInsertPoint(elseB);
        this.stmts(s.else);
        this.b.CreateBr(join);
        bb.toEnd(join);
        this.b.SetInsertPoint(join);
        return;
      }
      case 'return': {
        if (this.inCallback) {
          // Stop the iteration; the caller sees the flag and leaves the probe (bpftrace's loop_return).
          bb.store(this.frame!, FRAME_RETURNED, 8, bb.int(1n));
          this.b.CreateRet(bb.int(1n));
        } else this.b.CreateRet(this.programResult());
        // Anything after a return is unreachable; give it a block so building can go on.
        this.b.SetInsertPoint(bb.block('dead'));
        return;
      }
      case 'loop': {
        const head = bb.block('loop.cond');
        const body = bb.block('loop.body');
        const next = bb.block('loop.step');
        const exit = bb.block('loop.end');
        this.b.CreateBr(head);
        this.b.SetInsertPoint(head);
        this.b.CreateCondBr(bb.toBool(this.expr(s.cond)), body, exit);
        this.b.SetInsertPoint(body);
        this.loops.push({ next, exit });
        this.stmts(s.body);
        this.loops.pop();
        this.b.CreateBr(next);
        this.b.SetInsertPoint(next);
        this.stmts(s.step);
        this.b.CreateBr(head);
        this.b.SetInsertPoint(exit);
        return;
      }
      case 'break':
      case 'continue': {
        const loop = this.loops[this.loops.length - 1];
        if (!loop) throw new Error(`${s.op} outside a loop`);
        this.b.CreateBr(s.op === 'break' ? loop.exit : loop.next);
        this.b.SetInsertPoint(bb.block('dead'));
        return;
      }
      case 'forEachMap':
      case 'callbackLoop':
        this.callbackStmt(s);
        return;
      default:
        assertNever(s, 'IR statement');
    }
  }

  // ------------------------------------------------------------------ callbacks (src/codegen/callbacks.ts)

  /** Put every variable in one zeroed frame on the stack, with the context pointer in it. */
  private allocFrame(): void {
    const bb = this.bb;
    for (const v of this.prog.vars) if (this.inScratch(v.size)) this.scratchVars.set(v.id, bb.scratchReserve(v.size!));
    const layout = frameLayout(this.frameVars());
    // On the stack: bpf_loop and bpf_for_each_map_elem take a stack pointer as the callback context.
    const frame = bb.slot(layout.size, 'frame', true);
    bb.zero(frame, layout.size);
    for (const v of this.prog.vars) {
      const addr = this.scratchVars.get(v.id);
      if (addr !== undefined) bb.zero(bb.scratchAt(addr), v.size!);
    }
    this.b.CreateStore(this.ctx, this.b.CreateBitCast(bb.ptrAt(frame, FRAME_CTX), bb.llvmPtrTo(bb.i8p)));
    this.bindFrame(frame);
  }

  /** Point the variables at the frame `frame` (in the current function). */
  private bindFrame(frame: Value): void {
    const bb = this.bb;
    const layout = frameLayout(this.frameVars());
    this.frame = frame;
    this.intVars = new Map();
    this.blobVars = new Map();
    for (const v of this.prog.vars) {
      const addr = this.scratchVars.get(v.id);
      if (addr !== undefined) {
        this.blobVars.set(v.id, bb.scratchAt(addr));
        continue;
      }
      const p = bb.ptrAt(frame, layout.offsets.get(v.id)!);
      if (v.size === undefined) this.intVars.set(v.id, this.b.CreateBitCast(p, bb.llvmPtrTo(bb.i64)));
      else this.blobVars.set(v.id, p);
    }
  }

  /** Whether a blob of `size` bytes lives in the scratch map rather than on the stack. */
  private inScratch(size: number | undefined): boolean {
    return size !== undefined && size > this.ir.onStackLimit && this.ir.scratchMap !== undefined;
  }

  /** The variables kept in the callback frame (the large ones are in the scratch map). */
  private frameVars(): IrProgram['vars'] {
    return this.prog.vars.filter((v) => !this.scratchVars.has(v.id));
  }

  private callbackStmt(s: Extract<IrStmt, { op: 'forEachMap' | 'callbackLoop' }>): void {
    const bb = this.bb;
    const b = this.b;
    const frame = this.frame!;
    const count = s.op === 'callbackLoop' ? this.expr(s.count) : undefined;
    const params = s.op === 'forEachMap' ? [bb.i8p, bb.i8p, bb.i8p, bb.i8p] : [bb.i64, bb.i8p];
    const fn = bb.beginCallback(`${this.prog.name}_cb${this.callbackCount++}`, params);
    const saved = { ctx: this.ctx, intVars: this.intVars, blobVars: this.blobVars, zeroKey: this.zeroKey, frame: this.frame, inCallback: this.inCallback, errRec: this.errRec };
    this.bindFrame(fn.getArg(s.op === 'forEachMap' ? 3 : 1));
    this.ctx = b.CreateLoad(bb.i8p, b.CreateBitCast(bb.ptrAt(this.frame!, FRAME_CTX), bb.llvmPtrTo(bb.i8p)));
    this.zeroKey = undefined;
    this.errRec = undefined;
    this.inCallback = true;
    if (s.op === 'forEachMap') {
      if (s.keyVar !== undefined) bb.copy(this.blobVars.get(s.keyVar)!, 8, fn.getArg(1), 8, s.keySize);
      if (s.valueVar !== undefined) bb.copy(this.blobVars.get(s.valueVar)!, 8, fn.getArg(2), 8, s.valueSize);
    } else if (s.indexVar !== undefined) {
      b.CreateStore(fn.getArg(0), this.intVars.get(s.indexVar)!);
    }
    const next = bb.block('cb.continue');
    const exit = bb.block('cb.break');
    this.loops.push({ next, exit });
    this.stmts(s.body);
    this.loops.pop();
    b.CreateBr(next);
    b.SetInsertPoint(exit);
    b.CreateRet(bb.int(1n));
    b.SetInsertPoint(next);
    bb.endCallback(0n);
    Object.assign(this, saved);

    if (s.op === 'forEachMap') {
      this.helperFailed(bb.helper(Helper.for_each_map_elem, bb.i64, [bb.mapRef(s.map), bb.fnPtr(fn), frame, bb.int(0n)]), s.err);
    } else {
      this.ifThen(b.CreateICmpSGT(count!, bb.int(0n)), () => {
        // More than BPF_MAX_LOOPS (8M) iterations: bpf_loop does nothing and returns -E2BIG (bpftrace warns).
        this.helperFailed(bb.helper(Helper.loop, bb.i64, [count!, bb.fnPtr(fn), frame, bb.int(0n)]), s.err);
      });
    }
    // A `return` in the body: leave the probe (or, in an enclosing callback, stop that one too).
    this.ifThen(b.CreateICmpNE(bb.load(frame, FRAME_RETURNED, 8), bb.int(0n)), () => {
      b.CreateRet(this.inCallback ? bb.int(1n) : this.programResult());
      b.SetInsertPoint(bb.block('dead'));
    });
  }

  /**
   * Look up `key`; if present run `update(ptr)`, else build a fresh value with `init(ptr)` and
   * insert it with BPF_ANY. On per-CPU maps an update from a program only writes this CPU's slot,
   * so two CPUs inserting the same key at once lose nothing (bpftrace does the same).
   */
  /**
   * bpftrace CreateHelperErrorCond: when `err` is set (an event id), a helper result that is negative
   * as an i32 sends the `helper-error` event {id, retcode}. No code at all without `err`. The
   * report is a call of the module's one error subprogram.
   */
  private helperFailed(ret: Value, err: number | undefined): void {
    if (err === undefined) return;
    // Negative as an i32, as bpftrace checks: a helper the verifier inlines (bpf_loop) sets its
    // -errno with a 32-bit move, which is positive as an i64.
    // The test on the 32-bit value (one jmp32), the sign extension only on the error path.
    const low = this.bb.opaque32(this.b.CreateTrunc(ret, this.bb.intN(32)));
    this.ifThen(this.b.CreateICmpSLT(low, this.b.getInt32(0)), () => this.helperError(ret, err));
  }

  /**
   * A map update's check, when the program counts its inserts (IrModule.helperErrorMap; the runtime
   * reports a failure within a second, with the same text and rate limit as the event) instead of
   * calling the error subprogram: two atomic instructions, no branch, add the return code to its
   * site's sum and OR it into its site's OR (0 on success changes neither; the runtime derives
   * count and code from the two: runtime/session/helper-error-counters.ts). `base` is the
   * `.helper-errors` value address when the caller already has it in a register (insertOne).
   */
  private insertFailed(ret: Value, err: number | undefined, base?: Value): void {
    const counters = this.countedSite(err);
    if (err === undefined || counters === undefined) return this.helperFailed(ret, err);
    const bb = this.bb;
    // The program's loaded address, unless in a callback subprogram (another function). The
    // slots' offsets fold into the atomic instructions (`lock *(u64 *)(rX + off)`).
    const at = base ?? this.counterBaseHere() ?? bb.mapValueRef(counters);
    const word = (off: number): Value => this.b.CreateBitCast(this.b.CreateGEP(bb.intN(8), at, [bb.int(BigInt(off))]), bb.llvmPtrTo(bb.i64));
    const slot = helperErrorSlot(err);
    // The add keeps `ret` in its register for the OR (atomicAddKeep: no copy).
    bb.atomicAddKeep(at, slot.sum, ret);
    bb.atomicOr(word(slot.or), ret);
  }

  /** The `.helper-errors` map when the update checked by `err` counts its failure there (the program counts its inserts), else undefined. */
  private countedSite(err: number | undefined): number | undefined {
    return err !== undefined && this.countsInserts ? this.ir.helperErrorMap : undefined;
  }

  /** The program's `.helper-errors` address loaded at its start (counterBase), unless in a callback subprogram. */
  private counterBaseHere(): Value | undefined {
    return this.inCallback ? undefined : this.counterBase;
  }

  /**
   * Insert the value 1 at `key` in `map` (the miss path of count(), sum(1), `@[k]++`) at a site
   * whose failure is counted in `counters` (countedSite): the value pointer is the `.helper-errors`
   * constant 1 (HELPER_ERROR_ONE), whose address, kept in a callee-saved register across the call,
   * then addresses the site's counters: no stack store, one address load.
   */
  private insertOne(map: number, key: Value, err: number, counters: number): void {
    const bb = this.bb;
    const base = this.counterBaseHere() ?? bb.mapValueRef(counters);
    const one = HELPER_ERROR_ONE === 0 ? base : this.b.CreateGEP(bb.intN(8), base, [bb.int(BigInt(HELPER_ERROR_ONE))]);
    this.insertFailed(bb.helper(Helper.map_update_elem, bb.i64, [bb.mapRef(map), key, one, bb.int(BPF_ANY)]), err, base);
  }

  /** Send the `helper-error` event `err` with return code `ret` (an i64 whose low 32 bits are the code): a call of the shared error path. */
  private helperError(ret: Value, err: number): void {
    this.b.CreateCall(this.errorPath(), [this.bb.int(BigInt(err)), ret]);
  }

  /**
   * The module's one error-report subprogram, `i64 tsbpf_helper_error(i64 event, i64 retcode)`:
   * it sends the `helper-error` record {event, retcode} and counts a lost event if the ring is full.
   * Every failing helper site of every program calls it (a BPF-to-BPF call; the ELF linker appends
   * it once to each program that uses it), so a check costs a compare and a call, not a copy of
   * the report. Marked noinline in the IR text (buildModule).
   */
  private errorPath(): llvmTypes.Function {
    const known = errorPaths.get(this.bb);
    if (known) return known;
    const bb = this.bb;
    const fn = bb.beginCallback(ERROR_PATH_FN, [bb.i64, bb.i64]);
    const rec = bb.slot(16, 'helpererr', true);
    bb.store(rec, 0, 8, fn.getArg(0));
    // The helper's result as the i32 it is (the subprogram sign-extends it once, not each caller).
    bb.store(rec, 8, 8, this.b.CreateSExt(this.b.CreateTrunc(fn.getArg(1), bb.intN(32)), bb.i64));
    const r = bb.helper(Helper.ringbuf_output, bb.i64, [bb.mapRef(this.ir.ringbufMap), rec, bb.int(16n), bb.int(0n)]);
    this.ifThen(this.b.CreateICmpNE(r, bb.int(0n)), () => this.bumpLost());
    bb.endCallback(0n);
    errorPaths.set(bb, fn);
    return fn;
  }

  /** `.lost` += 1: an atomic add at the one-entry array's value address (no lookup, no null check). */
  private bumpLost(): void {
    const bb = this.bb;
    const p = this.b.CreateBitCast(bb.mapValueRef(this.ir.lostMap), bb.llvmPtrTo(bb.i64));
    bb.atomicAdd(p, bb.int(1n));
  }

  /** `insertsOne`: `init` stores the value 1 (count(), sum(1), `@[k]++`), which a counted site inserts from `.helper-errors` (insertOne). */
  private lookupOrInit(map: number, keyBlob: IrBlob, valueSize: number, update: (p: Value) => void, init: (p: Value) => void, err?: number, insertsOne = false): void {
    const bb = this.bb;
    const key = this.keyPtr(map, keyBlob);
    const p = bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(map), key]);
    if (this.isArray(map)) {
      // A one-entry PERCPU_ARRAY (src/passes/scalar-maps.ts): the entry always exists, zeroed, so
      // the update works for the first event too (0 is every aggregation's unset value); no insert.
      this.ifThen(this.b.CreateIsNotNull(p), () => update(p));
      return;
    }
    this.ifElse(
      this.b.CreateIsNotNull(p),
      () => update(p),
      () => {
        const counters = this.countedSite(err);
        if (insertsOne && counters !== undefined) return this.insertOne(map, key, err!, counters);
        const fresh = bb.slot(valueSize, 'init');
        if (valueSize > 8) bb.zero(fresh, valueSize);
        init(fresh);
        this.insertFailed(bb.helper(Helper.map_update_elem, bb.i64, [bb.mapRef(map), key, fresh, bb.int(BPF_ANY)]), err);
      },
    );
  }

  /**
   * A pointer to `key` for a lookup or update in `map`: an all-zero key (a scalar map's, index 0
   * of an array) is the zero map's value (an address load, no store to the stack); any other key
   * is built on the stack.
   */
  private keyPtr(map: number, key: IrBlob): Value {
    const zeros = this.ir.maps[this.ir.zeroMap]?.valueSize ?? 0;
    return key.op === 'zero' && key.size <= zeros ? this.bb.mapValueRef(this.ir.zeroMap) : this.blob(key);
  }

  /**
   * `@a = v` into a scalar int array (IrMap.intArray): the value and its written flag, stored at
   * the one entry's address (no lookup, no update, nothing that can fail). LLVM may order the two
   * stores either way: a reader racing the first write may see 0 or nothing, as with a hash update.
   */
  private storeIntArray(map: number, v: Value): void {
    const bb = this.bb;
    this.b.CreateStore(v, bb.entryMapValueWord(map, 0));
    this.b.CreateStore(bb.int(1n), bb.entryMapValueWord(map, SCALAR_SET_FLAG_OFFSET));
  }

  /**
   * `*(u64 *)(p + offset) += v` in a map value: one atomic add in a hash map's value (a keyed
   * count, sum, `++`, `+=`, avg/stats: `r1 = 1; lock *(u64 *)(r0 + 0) += r1`, an instruction fewer
   * than load, add, store), a load, add and store in a keyless aggregation's array value (already
   * fewer instructions than bpftrace's, and a lock-prefixed add costs ~2 ns an event on x86, even
   * on per-CPU memory).
   */
  private addInPlace(map: number, p: Value, offset: number, v: Value): void {
    const bb = this.bb;
    if (this.isArray(map)) return bb.store(p, offset, 8, this.b.CreateAdd(bb.load(p, offset, 8), v));
    const word = offset === 0 ? p : this.b.CreateGEP(bb.intN(8), p, [bb.int(BigInt(offset))]);
    bb.atomicAdd(this.b.CreateBitCast(word, bb.llvmPtrTo(bb.i64)), v);
  }

  /** Whether map `id` is an array (its entries exist from the start: nothing to insert). */
  private isArray(id: number): boolean {
    const t = this.ir.maps[id]?.bpfType;
    return t === MapType.ARRAY || t === MapType.PERCPU_ARRAY;
  }

  /** tseries(): update the {value, meta, epoch} cell (src/ir/ir.ts mapTseries; bpftrace codegen_llvm.cpp). */
  private mapTseries(s: Extract<IrStmt, { op: 'mapTseries' }>): void {
    const bb = this.bb;
    const b = this.b;
    const v = this.expr(s.value);
    const now = this.expr(s.now);
    const epoch = this.expr(s.epoch);
    const apply = (p: Value): void => {
      switch (s.agg) {
        case 'last':
          bb.store(p, 0, 8, v);
          bb.store(p, 8, 8, now);
          break;
        case 'avg':
          bb.store(p, 8, 8, b.CreateAdd(bb.load(p, 8, 8), bb.int(1n)));
          bb.store(p, 0, 8, b.CreateAdd(bb.load(p, 0, 8), v));
          break;
        case 'sum':
          bb.store(p, 0, 8, b.CreateAdd(bb.load(p, 0, 8), v));
          break;
        case 'min':
        case 'max': {
          const cur = bb.load(p, 0, 8);
          const unset = b.CreateICmpEQ(bb.load(p, 8, 8), bb.int(0n));
          const better = s.agg === 'min'
            ? (s.signed ? b.CreateICmpSLT(v, cur) : b.CreateICmpULT(v, cur))
            : (s.signed ? b.CreateICmpSGT(v, cur) : b.CreateICmpUGT(v, cur));
          this.ifThen(b.CreateOr(unset, better), () => bb.store(p, 0, 8, v));
          bb.store(p, 8, 8, bb.int(1n));
          break;
        }
      }
      bb.store(p, 16, 8, epoch);
    };
    this.lookupOrInit(
      s.map, s.key, 24,
      (p) => {
        if (s.agg !== 'last') {
          this.ifThen(b.CreateICmpNE(bb.load(p, 16, 8), epoch), () => {
            bb.store(p, 0, 8, bb.int(0n));
            bb.store(p, 8, 8, bb.int(0n));
          });
        }
        apply(p);
      },
      (init) => apply(init),
    );
  }

  private ifThen(cond: Value, then: () => void): void {
    const thenB = this.bb.block('then');
    const join = this.bb.block('endif');
    this.b.CreateCondBr(cond, thenB, join);
    this.b.SetInsertPoint(thenB);
    then();
    this.b.CreateBr(join);
    this.bb.toEnd(join);
    this.b.SetInsertPoint(join);
  }

  private ifElse(cond: Value, then: () => void, otherwise: () => void): void {
    const thenB = this.bb.block('then');
    const elseB = this.bb.block('else');
    const join = this.bb.block('endif');
    this.b.CreateCondBr(cond, thenB, elseB);
    this.b.SetInsertPoint(thenB);
    then();
    this.b.CreateBr(join);
    this.bb.toEnd(elseB);
    this.b.SetInsertPoint(elseB);
    otherwise();
    this.b.CreateBr(join);
    this.bb.toEnd(join);
    this.b.SetInsertPoint(join);
  }

  /** Evaluate into a stack slot through branches (so only the taken side runs). */
  private branchValue(cond: Value, then: () => Value, otherwise: () => Value): Value {
    const slot = this.bb.intSlot('sel');
    this.ifElse(cond, () => this.b.CreateStore(then(), slot), () => this.b.CreateStore(otherwise(), slot));
    return this.b.CreateLoad(this.bb.i64, slot);
  }

  private zeroKeyPtr(): Value {
    if (!this.zeroKey) {
      this.zeroKey = this.bb.slot(8, 'zerokey', true, true);
    }
    // Stored at each use: the slot lives in the entry block, the store must dominate the use.
    this.bb.store(this.zeroKey, 0, 4, this.bb.int(0n));
    return this.zeroKey;
  }

  // ------------------------------------------------------------------ expressions

  private expr(e: IrExpr): Value {
    const bb = this.bb;
    const b = this.b;
    switch (e.op) {
      case 'const':
        return bb.int(e.value);
      case 'builtin':
        return this.builtin(e.name);
      case 'ctxLoad':
        return bb.loadI64(bb.opaquePtr(this.ctx), e.offset, e.size, e.signed);
      case 'ctxAddr':
        return b.CreatePtrToInt(this.ctx, bb.i64);
      case 'var':
        return b.CreateLoad(bb.i64, this.intVars.get(e.id)!);
      case 'varAddr':
        return b.CreatePtrToInt(this.intVars.get(e.id) ?? this.blobVars.get(e.id)!, bb.i64);
      case 'unary': {
        const v = this.expr(e.operand);
        if (e.operator === '-') return b.CreateSub(bb.int(0n), v);
        if (e.operator === '~') return b.CreateXor(v, bb.int(-1n));
        return bb.fromBool(b.CreateICmpEQ(v, bb.int(0n)));
      }
      case 'cast': {
        const v = this.expr(e.operand);
        if (e.bits === 64) return v;
        const t = b.CreateTrunc(v, bb.intN(e.bits));
        return e.signed ? b.CreateSExt(t, bb.i64) : b.CreateZExt(t, bb.i64);
      }
      case 'binary':
        return this.binary(e.operator, this.expr(e.left), this.expr(e.right), e.signed);
      case 'logical': {
        const left = bb.toBool(this.expr(e.left));
        return e.operator === '&&'
          ? this.branchValue(left, () => bb.fromBool(bb.toBool(this.expr(e.right))), () => bb.int(0n))
          : this.branchValue(left, () => bb.int(1n), () => bb.fromBool(bb.toBool(this.expr(e.right))));
      }
      case 'ternary':
        return this.branchValue(bb.toBool(this.expr(e.cond)), () => this.expr(e.then), () => this.expr(e.else));
      case 'mapGet': {
        if (this.ir.maps[e.map]?.intArray) {
          // -k: a read before anything wrote it warns, as a hash's failed lookup does.
          if (e.err !== undefined) this.ifThen(b.CreateICmpEQ(b.CreateLoad(bb.i64, bb.entryMapValueWord(e.map, SCALAR_SET_FLAG_OFFSET)), bb.int(0n)), () => this.helperError(bb.int(0n), e.err!));
          // Its value is 0 until written, as a hash's missing entry reads.
          return b.CreateLoad(bb.i64, bb.entryMapValueWord(e.map, 0));
        }
        const key = this.blob(e.key); // before the map's address load (see mapSet)
        const p = bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(e.map), key]);
        if (e.err !== undefined) this.ifThen(b.CreateIsNull(p), () => this.helperError(bb.int(0n), e.err!));
        return this.branchValue(b.CreateIsNotNull(p), () => bb.load(p, 0, 8), () => bb.int(0n));
      }
      case 'blobEquals': {
        const size = blobSize(e.left);
        // Against a string literal: compare its bytes (and NUL) as constants, without building it.
        const lc = constString(e.left);
        const rc = constString(e.right);
        const eq = rc ? this.stringsEqual(this.blob(e.left), rc, size) : lc ? this.stringsEqual(this.blob(e.right), lc, size) : this.stringsEqual(this.blob(e.left), this.blob(e.right), size);
        return e.negate ? b.CreateXor(eq, bb.int(1n)) : eq;
      }
      case 'strContains':
        return this.strContains(this.blob(e.haystack), encodeBytes(e.needle), blobSize(e.haystack));
      case 'seq':
        this.stmts(e.stmts);
        return this.expr(e.value);
      case 'blobLoad': {
        const src = this.blob(e.blob);
        return bb.loadI64(src, e.offset, e.size, e.signed);
      }
      case 'readInt': {
        const dst = bb.slot(8, 'rd', true);
        bb.store(dst, 0, 8, bb.int(0n));
        const helper = e.space === 'user' ? Helper.probe_read_user : Helper.probe_read_kernel;
        this.helperFailed(bb.helper(helper, bb.i64, [dst, bb.int(BigInt(e.size)), b.CreateIntToPtr(this.expr(e.addr), bb.i8p)]), e.err);
        return bb.loadI64(dst, 0, e.size, e.signed);
      }
      case 'call':
      case 'kfunc':
      case 'ksym':
      case 'mapAggRead':
      case 'msb':
        return this.libExpr(e);
      default:
        return assertNever(e, 'IR expression');
    }
  }

  private binary(op: string, l: Value, r: Value, signed: boolean): Value {
    const bb = this.bb;
    const b = this.b;
    switch (op) {
      case '+': return b.CreateAdd(l, r);
      case '-': return b.CreateSub(l, r);
      case '*': return b.CreateMul(l, r);
      case '&': return b.CreateAnd(l, r);
      case '|': return b.CreateOr(l, r);
      case '^': return b.CreateXor(l, r);
      case '<<': return b.CreateShl(l, r);
      case '>>': return signed ? b.CreateAShr(l, r) : b.CreateLShr(l, r);
      case '==': return bb.fromBool(b.CreateICmpEQ(l, r));
      case '!=': return bb.fromBool(b.CreateICmpNE(l, r));
      case '<': return bb.fromBool(signed ? b.CreateICmpSLT(l, r) : b.CreateICmpULT(l, r));
      case '<=': return bb.fromBool(signed ? b.CreateICmpSLE(l, r) : b.CreateICmpULE(l, r));
      case '>': return bb.fromBool(signed ? b.CreateICmpSGT(l, r) : b.CreateICmpUGT(l, r));
      case '>=': return bb.fromBool(signed ? b.CreateICmpSGE(l, r) : b.CreateICmpUGE(l, r));
      case '/':
      case '%':
        return this.divide(op, l, r, signed);
      default:
        throw new Error(`unknown binary operator ${op}`);
    }
  }

  /**
   * BPF has only unsigned division (LLVM 14 cannot select sdiv). Signed division divides the
   * magnitudes and fixes the sign; division by zero gives 1, as bpftrace defines it.
   */
  private divide(op: '/' | '%', l: Value, r: Value, signed: boolean): Value {
    const bb = this.bb;
    const b = this.b;
    const zero = bb.int(0n);
    const isZero = b.CreateICmpEQ(r, zero);
    const safeR = b.CreateSelect(isZero, bb.int(1n), r);
    let result: Value;
    if (!signed) {
      result = op === '/' ? b.CreateUDiv(l, safeR) : b.CreateURem(l, safeR);
    } else {
      const lNeg = b.CreateICmpSLT(l, zero);
      const rNeg = b.CreateICmpSLT(safeR, zero);
      const la = b.CreateSelect(lNeg, b.CreateSub(zero, l), l);
      const ra = b.CreateSelect(rNeg, b.CreateSub(zero, safeR), safeR);
      if (op === '/') {
        const q = b.CreateUDiv(la, ra);
        result = b.CreateSelect(b.CreateXor(lNeg, rNeg), b.CreateSub(zero, q), q);
      } else {
        const m = b.CreateURem(la, ra);
        result = b.CreateSelect(lNeg, b.CreateSub(zero, m), m);
      }
    }
    // bpftrace defines x / 0 and x % 0 as 1.
    return b.CreateSelect(isZero, bb.int(1n), result);
  }

  private builtin(name: string): Value {
    const bb = this.bb;
    const b = this.b;
    switch (name) {
      case 'pid':
        return b.CreateLShr(bb.helper(Helper.get_current_pid_tgid, bb.i64, []), bb.int(32n));
      case 'tid':
        return b.CreateAnd(bb.helper(Helper.get_current_pid_tgid, bb.i64, []), bb.int(0xffffffffn));
      case 'uid':
        return b.CreateAnd(bb.helper(Helper.get_current_uid_gid, bb.i64, []), bb.int(0xffffffffn));
      case 'gid':
        return b.CreateLShr(bb.helper(Helper.get_current_uid_gid, bb.i64, []), bb.int(32n));
      case 'nsecs':
        return bb.helper(Helper.ktime_get_boot_ns, bb.i64, []);
      case 'cpu':
        return bb.helper(Helper.get_smp_processor_id, bb.i64, []);
      case 'rand':
        return b.CreateAnd(bb.helper(Helper.get_prandom_u32, bb.i64, []), bb.int(0xffffffffn));
      case 'cgroup':
        return bb.helper(Helper.get_current_cgroup_id, bb.i64, []);
      case 'curtask':
        return bb.helper(Helper.get_current_task, bb.i64, []);
      default:
        throw new Error(`unknown builtin ${name}`);
    }
  }

  /**
   * Byte-wise string equality up to the first NUL (both strings end there) or `size`. `r` may be
   * a literal's bytes (NUL-padded to `size`): then only its characters and its NUL are compared.
   */
  private stringsEqual(l: Value, r: Value | Buffer, size: number): Value {
    if (!Buffer.isBuffer(r) && size > UNROLLED_STREQ_BYTES) return this.stringsEqualLoop(l, r, size);
    const bb = this.bb;
    const b = this.b;
    const result = bb.intSlot('streq');
    b.CreateStore(bb.int(1n), result);
    const done = bb.block('streq.done');
    const n = Buffer.isBuffer(r) ? Math.min(size, r.length + 1) : size;
    for (let i = 0; i < n; i++) {
      const lc = bb.load(l, i, 1);
      const rc = Buffer.isBuffer(r) ? llvmConst(bb, 1, BigInt(r[i] ?? 0)) : bb.load(r, i, 1);
      const differ = bb.block('streq.differ');
      const same = bb.block('streq.same');
      b.CreateCondBr(b.CreateICmpNE(lc, rc), differ, same);
      b.SetInsertPoint(differ);
      b.CreateStore(bb.int(0n), result);
      b.CreateBr(done);
      b.SetInsertPoint(same);
      const next = bb.block('streq.next');
      b.CreateCondBr(b.CreateICmpEQ(lc, llvmZero8(bb)), done, next);
      b.SetInsertPoint(next);
    }
    b.CreateBr(done);
    b.SetInsertPoint(done);
    return b.CreateLoad(bb.i64, result);
  }

  /**
   * stringsEqual of two long values without unrolling (1024-byte strings made 16k lines of IR, 4k
   * instructions and 0.6 s of LLVM): bpf_loop over 64-byte chunks compared 8 bytes at a time in a
   * callback (a word that differs: equal only if l has a NUL before the first difference; an equal
   * word with a NUL byte: equal), then the last size % 64 bytes inline.
   * Not an open-coded loop: the verifier walks those once per iteration and keeps a pending state
   * for each data-dependent exit it passes, so a few 1024-byte loops on one path already exceed its
   * 8192 pending states ("The sequence of 8193 jumps is too complex"); a bpf_loop callback is
   * verified on its own whatever the count, and the verifier inlines bpf_loop into a plain loop.
   * Both strings are 8-aligned (stack slots, scratch offsets, map values).
   */
  private stringsEqualLoop(l: Value, r: Value, size: number): Value {
    const bb = this.bb;
    const b = this.b;
    const per = STREQ_WORDS * 8;
    // Whole words by bpf_loop; the last chunk is moved back to end at the last whole word (it
    // compares again words already found equal and without a NUL: harmless), so no word is left
    // for inline code, only the last size % 8 bytes.
    const words = Math.floor(size / 8);
    const chunks = words >= STREQ_WORDS ? Math.ceil(words / STREQ_WORDS) : 0;
    const result = bb.intSlot('streq');
    b.CreateStore(bb.int(1n), result);
    const done = bb.block('streq.done');
    const differ = bb.block('streq.differ');
    if (chunks > 0) {
      const ctx = this.strLoopCtx([l, r]);
      const fn = bb.beginCallback(`${this.prog.name}_str${this.callbackCount++}`, [bb.i64, bb.i8p]);
      {
        const [k, c] = [fn.getArg(0), fn.getArg(1)];
        const cbDiffer = this.strLoopStop(c, STRLOOP_DIFFER);
        const cbEqual = this.strLoopStop(c, STRLOOP_DONE);
        this.strLoopBound(k, chunks);
        const off = this.strLoopStart(k, per, words * 8 - per);
        this.equalWords(b.CreateGEP(bb.i8, this.strLoopPtr(c, 0), [off]), b.CreateGEP(bb.i8, this.strLoopPtr(c, 8), [off]), 0, STREQ_WORDS, cbDiffer, cbEqual);
      }
      bb.endCallback(0n);
      const state = this.strLoopRun(ctx, fn, chunks);
      const tail = bb.block('streq.tail');
      const sw = bb.block('streq.state');
      b.CreateCondBr(b.CreateICmpEQ(state, bb.int(0n)), tail, sw);
      b.SetInsertPoint(sw);
      b.CreateCondBr(b.CreateICmpEQ(state, bb.int(STRLOOP_DIFFER)), differ, done);
      b.SetInsertPoint(tail);
    }
    const from = chunks > 0 ? words * 8 : 0;
    this.equalWords(l, r, from, chunks > 0 ? 0 : words, differ, done);
    this.equalBytes(l, r, words * 8, size, differ, done);
    b.CreateBr(done);
    b.SetInsertPoint(differ);
    b.CreateStore(bb.int(0n), result);
    b.CreateBr(done);
    b.SetInsertPoint(done);
    return b.CreateLoad(bb.i64, result);
  }

  /** `count` 8-byte words of two strings from byte `from` (see stringsEqualLoop): branches to `differ` or `equal`, or falls through. */
  private equalWords(l: Value, r: Value, from: number, count: number, differ: llvmTypes.BasicBlock, equal: llvmTypes.BasicBlock): void {
    const bb = this.bb;
    const b = this.b;
    for (let w = 0; w < count; w++) {
      const off = from + w * 8;
      const lw = bb.load(l, off, 8);
      const x = b.CreateXor(lw, bb.load(r, off, 8));
      const zeros = this.hasZeroByte(lw);
      const bytes = bb.block('streq.bytes');
      const same = bb.block('streq.word');
      b.CreateCondBr(b.CreateICmpNE(x, bb.int(0n)), bytes, same);
      b.SetInsertPoint(bytes);
      // They differ in this word: equal only when l's first NUL (the lowest flagged byte of
      // `zeros` is exactly it) comes before the first differing bit. 0 - 1 wraps: no NUL, differ.
      const lowest = (v: Value): Value => b.CreateSub(b.CreateAnd(v, b.CreateSub(bb.int(0n), v)), bb.int(1n));
      b.CreateCondBr(b.CreateICmpULT(lowest(zeros), lowest(x)), equal, differ);
      b.SetInsertPoint(same);
      const next = bb.block('streq.next');
      b.CreateCondBr(b.CreateICmpNE(zeros, bb.int(0n)), equal, next);
      b.SetInsertPoint(next);
    }
  }

  /** Nonzero when one of the 8 bytes of `v` is 0: (v - 0x01..01) & ~v & 0x80..80. */
  private hasZeroByte(v: Value): Value {
    const bb = this.bb;
    const b = this.b;
    return b.CreateAnd(b.CreateAnd(b.CreateSub(v, bb.int(0x0101010101010101n)), b.CreateXor(v, bb.int(-1n))), bb.int(0x8080808080808080n));
  }

  /** Bytes [from, to) of two strings: a difference branches to `differ`, a common NUL to `equal`; else falls through. */
  private equalBytes(l: Value, r: Value, from: number, to: number, differ: llvmTypes.BasicBlock, equal: llvmTypes.BasicBlock): void {
    const bb = this.bb;
    const b = this.b;
    for (let i = from; i < to; i++) {
      const lc = bb.load(l, i, 1);
      const same = bb.block('streq.same');
      b.CreateCondBr(b.CreateICmpNE(lc, bb.load(r, i, 1)), differ, same);
      b.SetInsertPoint(same);
      const next = bb.block('streq.next');
      b.CreateCondBr(b.CreateICmpEQ(lc, llvmZero8(bb)), equal, next);
      b.SetInsertPoint(next);
    }
  }

  /**
   * strcontains (IR `strContains`) of a literal needle in the string `h` (`size` bytes, 8-aligned,
   * the last one its NUL), without unrolling over the positions (see stringsEqualLoop): bpf_loop
   * over chunks of positions, the rest inline. A short needle skips 8 positions at a time when
   * their word has neither the needle's first byte nor a NUL; at a position, the needle's bytes
   * are compared as constants. Stops at the haystack's first NUL (bpftrace's __bpf_strnstr). 1 or 0.
   */
  private strContains(h: Value, needle: Buffer, size: number): Value {
    const bb = this.bb;
    const b = this.b;
    const positions = size - needle.length;
    // Long needles: one position per call (the code per position grows with the needle).
    const words = needle.length <= 8 ? 4 : needle.length <= 32 ? 1 : 0;
    const per = words === 0 ? 1 : words * 8;
    // As in stringsEqualLoop, the last chunk is moved back (8-aligned, for the word loads) to end
    // within the positions; what it cannot reach (fewer than 8 positions) is looked at inline.
    const lastStart = Math.floor((positions - per) / 8) * 8;
    const chunks = positions >= per ? (per === 1 ? positions : Math.ceil(positions / per)) : 0;
    const reached = chunks > 0 ? (per === 1 ? positions : lastStart + per) : 0;
    const result = bb.intSlot('strstr');
    b.CreateStore(bb.int(0n), result);
    const found = bb.block('strstr.found');
    const done = bb.block('strstr.done');
    if (chunks > 0) {
      const ctx = this.strLoopCtx([h]);
      const fn = bb.beginCallback(`${this.prog.name}_str${this.callbackCount++}`, [bb.i64, bb.i8p]);
      {
        const [k, c] = [fn.getArg(0), fn.getArg(1)];
        const hit = this.strLoopStop(c, STRLOOP_FOUND);
        const stop = this.strLoopStop(c, STRLOOP_DONE);
        this.strLoopBound(k, chunks);
        const at = b.CreateGEP(bb.i8, this.strLoopPtr(c, 0), [per === 1 ? k : this.strLoopStart(k, per, lastStart)]);
        if (words === 0) this.containsAt(at, 1, needle, hit, stop);
        else this.containsWords(at, 0, words, needle, hit, stop);
      }
      bb.endCallback(0n);
      const state = this.strLoopRun(ctx, fn, chunks);
      const rest = bb.block('strstr.rest');
      const sw = bb.block('strstr.state');
      b.CreateCondBr(b.CreateICmpEQ(state, bb.int(0n)), rest, sw);
      b.SetInsertPoint(sw);
      b.CreateCondBr(b.CreateICmpEQ(state, bb.int(STRLOOP_FOUND)), found, done);
      b.SetInsertPoint(rest);
    }
    const restWords = words === 0 ? 0 : Math.floor((positions - reached) / 8);
    this.containsWords(h, reached, restWords, needle, found, done);
    this.containsAt(bb.ptrAt(h, reached + restWords * 8), positions - reached - restWords * 8, needle, found, done);
    b.CreateBr(done);
    b.SetInsertPoint(found);
    b.CreateStore(bb.int(1n), result);
    b.CreateBr(done);
    b.SetInsertPoint(done);
    return b.CreateLoad(bb.i64, result);
  }

  /** The needle at the 8 positions of each of `count` words of `at` from byte `from`, skipping a word with neither its first byte nor a NUL. */
  private containsWords(at: Value, from: number, count: number, needle: Buffer, found: llvmTypes.BasicBlock, stop: llvmTypes.BasicBlock): void {
    const bb = this.bb;
    const b = this.b;
    const first = BigInt(needle[0]!) * 0x0101010101010101n;
    for (let w = 0; w < count; w++) {
      const off = from + w * 8;
      const v = bb.load(at, off, 8);
      const scan = bb.block('strstr.scan');
      const next = bb.block('strstr.word');
      const interesting = b.CreateOr(this.hasZeroByte(v), this.hasZeroByte(b.CreateXor(v, bb.int(first))));
      b.CreateCondBr(b.CreateICmpNE(interesting, bb.int(0n)), scan, next);
      b.SetInsertPoint(scan);
      this.containsAt(bb.ptrAt(at, off), 8, needle, found, stop);
      b.CreateBr(next);
      b.SetInsertPoint(next);
    }
  }

  /** The needle at positions [0, count) of `at`: a match branches to `found`, the haystack's NUL to `stop`; else falls through. */
  private containsAt(at: Value, count: number, needle: Buffer, found: llvmTypes.BasicBlock, stop: llvmTypes.BasicBlock): void {
    const bb = this.bb;
    const b = this.b;
    for (let j = 0; j < count; j++) {
      const next = bb.block('strstr.next');
      const nul = bb.block('strstr.nul');
      let cmp = bb.block('strstr.cmp');
      const first = bb.load(at, j, 1);
      b.CreateCondBr(b.CreateICmpEQ(first, llvmConst(bb, 1, BigInt(needle[0]!))), cmp, nul);
      b.SetInsertPoint(nul);
      b.CreateCondBr(b.CreateICmpEQ(first, llvmZero8(bb)), stop, next);
      for (let m = 1; m < needle.length; m++) {
        b.SetInsertPoint(cmp);
        cmp = bb.block('strstr.cmp');
        b.CreateCondBr(b.CreateICmpEQ(bb.load(at, j + m, 1), llvmConst(bb, 1, BigInt(needle[m]!))), cmp, next);
      }
      b.SetInsertPoint(cmp);
      b.CreateBr(found);
      b.SetInsertPoint(next);
    }
  }

  /** A bpf_loop context on the stack {ptrs[0], ptrs[1], state}: the strings' addresses, state 0. */
  private strLoopCtx(ptrs: Value[]): Value {
    const bb = this.bb;
    const ctx = bb.slot(24, 'strloop', true);
    ptrs.forEach((p, i) => this.b.CreateStore(p, this.b.CreateBitCast(bb.ptrAt(ctx, i * 8), bb.llvmPtrTo(bb.i8p))));
    bb.store(ctx, 16, 8, bb.int(0n));
    return ctx;
  }

  /** In a string-loop callback: chunk `k`'s byte offset, k * per, but at most `last`. */
  private strLoopStart(k: Value, per: number, last: number): Value {
    const bb = this.bb;
    const off = this.b.CreateMul(k, bb.int(BigInt(per)));
    return this.b.CreateSelect(this.b.CreateICmpUGT(off, bb.int(BigInt(last))), bb.int(BigInt(last)), off);
  }

  /** In a string-loop callback: a block that leaves `state` in the context and stops the iteration. */
  private strLoopStop(ctx: Value, state: bigint): llvmTypes.BasicBlock {
    const bb = this.bb;
    const blk = bb.block('strloop.stop');
    const here = this.b.GetInsertBlock();
    this.b.SetInsertPoint(blk);
    bb.store(ctx, 16, 8, bb.int(state));
    this.b.CreateRet(bb.int(1n));
    if (here) this.b.SetInsertPoint(here);
    return blk;
  }

  /** In a string-loop callback: the string address at `offset` of its context. */
  private strLoopPtr(ctx: Value, offset: number): Value {
    const bb = this.bb;
    return this.b.CreateLoad(bb.i8p, this.b.CreateBitCast(bb.ptrAt(ctx, offset), bb.llvmPtrTo(bb.i8p)));
  }

  /** In a string-loop callback: stop unless the index is below `count` (the verifier's bound for the offsets). */
  private strLoopBound(k: Value, count: number): void {
    const bb = this.bb;
    const ok = bb.block('strloop.in');
    const out = bb.block('strloop.out');
    this.b.CreateCondBr(this.b.CreateICmpULT(k, bb.int(BigInt(count))), ok, out);
    this.b.SetInsertPoint(out);
    this.b.CreateRet(bb.int(1n));
    this.b.SetInsertPoint(ok);
  }

  /** bpf_loop(count, fn, ctx, 0); returns the state the callback left. */
  private strLoopRun(ctx: Value, fn: llvmTypes.Function, count: number): Value {
    const bb = this.bb;
    bb.helper(Helper.loop, bb.i64, [bb.int(BigInt(count)), bb.fnPtr(fn), ctx, bb.int(0n)]);
    return bb.load(ctx, 16, 8);
  }

  // ------------------------------------------------------------------ blobs

  /** Build a blob on the stack; returns an 8-aligned i8* to it. */
  private blob(blob: IrBlob): Value {
    const bb = this.bb;
    switch (blob.op) {
      case 'varBlob':
        return this.blobVars.get(blob.id)!;
      default: {
        const dst = bb.slot(blobSize(blob), blob.op);
        this.fill(dst, blob);
        return dst;
      }
    }
  }

  /** Write `blob` at `dst` (8-aligned at `base`), zeroing any bytes it does not set. */
  private fill(dst: Value, blob: IrBlob, dstAlign = 8): void {
    const bb = this.bb;
    switch (blob.op) {
      case 'zero':
        bb.zero(dst, blob.size, dstAlign);
        return;
      case 'int':
        bb.storeI64(dst, 0, blob.size, this.expr(blob.value));
        return;
      case 'string': {
        const bytes = Buffer.alloc(blob.size);
        encodeBytes(blob.value).copy(bytes, 0, 0, Math.max(0, blob.size - 1));
        for (let off = 0; off < blob.size; ) {
          let n = 8;
          while (n > 1 && (n > dstAlign || off % n !== 0 || off + n > blob.size)) n /= 2;
          const run = n === 8 ? splatRun(bytes, off) : 0;
          if (run > MAX_SPLAT_STORES) {
            // LLVM merges a run of stores of one repeated byte into a memset, which the BPF backend
            // cannot lower past 1 KiB: store part of the run, then copy it forward, doubling.
            const stored = MAX_SPLAT_STORES * 8;
            for (let i = 0; i < stored; i += 8) bb.store(dst, off + i, 8, bb.int(bytes.readBigUInt64LE(off)));
            for (let done = stored; done < run * 8; ) {
              const len = Math.min(done, run * 8 - done);
              bb.copy(bb.ptrAt(dst, off + done), 8, bb.ptrAt(dst, off), 8, len);
              done += len;
            }
            off += run * 8;
            continue;
          }
          const v = n === 8 ? bytes.readBigUInt64LE(off) : BigInt(bytes.readUIntLE(off, n));
          bb.store(dst, off, n, n === 8 ? bb.int(v) : llvmConst(bb, n, v));
          off += n;
        }
        return;
      }
      case 'comm':
        // bpf_get_current_comm pads the buffer with zeroes itself (strscpy_pad).
        bb.helper(Helper.get_current_comm, bb.i64, [dst, bb.int(BigInt(blob.size))]);
        return;
      case 'readStr': {
        // The address first: it may read the destination (a variable assigned in place).
        const addr = this.b.CreateIntToPtr(this.expr(blob.addr), bb.i8p);
        bb.zero(dst, blob.size, dstAlign);
        const helper = blob.space === 'user' ? Helper.probe_read_user_str : Helper.probe_read_kernel_str;
        this.helperFailed(bb.helper(helper, bb.i64, [dst, bb.int(BigInt(blob.size)), addr]), blob.err);
        return;
      }
      case 'ctxBytes':
        bb.copy(dst, dstAlign, bb.ptrAt(bb.opaquePtr(this.ctx), blob.offset), alignAt(blob.offset), blob.size);
        return;
      case 'record': {
        // Every fill writes all bytes of its blob: zero only the gaps between fields, and build
        // each field in place (no temporary and copy: a 1 KiB string would cost both twice).
        const covered = blob.fields.map((f) => [f.offset, Math.min(f.offset + blobSize(f.blob), blob.size)] as const).sort((a, b) => a[0] - b[0]);
        let at0 = 0;
        const zeroGap = (from: number, to: number): void => {
          if (to > from) bb.zero(bb.ptrAt(dst, from), to - from, Math.min(dstAlign, alignAt(from)));
        };
        for (const [start, end] of covered) {
          zeroGap(at0, start);
          at0 = Math.max(at0, end);
        }
        zeroGap(at0, blob.size);
        for (const f of blob.fields) {
          const at = bb.ptrAt(dst, f.offset);
          const align = Math.min(dstAlign, alignAt(f.offset));
          const size = Math.min(blobSize(f.blob), blob.size - f.offset);
          if (blobSize(f.blob) <= blob.size - f.offset && f.blob.op !== 'varBlob') {
            this.fill(at, f.blob, align);
            continue;
          }
          const src = this.blob(f.blob);
          bb.copy(at, align, src, 8, size);
        }
        return;
      }
      case 'mapGetBlob': {
        bb.zero(dst, blob.size, dstAlign);
        const key = this.blob(blob.key); // before the map's address load (see mapSet)
        const p = bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(blob.map), key]);
        if (blob.err !== undefined) this.ifThen(this.b.CreateIsNull(p), () => this.helperError(bb.int(0n), blob.err!));
        this.ifThen(this.b.CreateIsNotNull(p), () => bb.copy(dst, dstAlign, p, 8, blob.size));
        return;
      }
      case 'varBlob':
        bb.copy(dst, dstAlign, this.blobVars.get(blob.id)!, 8, blob.size);
        return;
      case 'slice': {
        const src = this.blob(blob.blob);
        bb.copy(dst, dstAlign, bb.ptrAt(src, blob.offset), alignAt(blob.offset), blob.size);
        return;
      }
      case 'select':
        this.ifElse(bb.toBool(this.expr(blob.cond)), () => this.fill(dst, blob.then, dstAlign), () => this.fill(dst, blob.else, dstAlign));
        return;
      case 'readBytes': {
        // The address first, as readStr's: it may read the destination (a variable assigned in place).
        const addr = this.b.CreateIntToPtr(this.expr(blob.addr), bb.i8p);
        bb.zero(dst, blob.size, dstAlign);
        const helper = blob.space === 'user' ? Helper.probe_read_user : Helper.probe_read_kernel;
        this.helperFailed(bb.helper(helper, bb.i64, [dst, bb.int(BigInt(blob.size)), addr]), blob.err);
        return;
      }
      case 'seqBlob':
        this.stmts(blob.stmts);
        this.fill(dst, blob.value, dstAlign);
        return;
      case 'callFill':
        bb.zero(dst, blob.size, dstAlign);
        bb.helper(blob.helper, bb.i64, this.callArgs(blob.args, dst));
        return;
      case 'pktBytes': {
        // The verifier's direct packet access: `p = data + offset`, then `p + size <= data_end`
        // proves p[0..size) readable. p is opaque so LLVM cannot fold the check into
        // `data + (offset + size)`, a different register the proof would not reach.
        const field = (at: number): Value => this.b.CreateIntToPtr(bb.loadI64(bb.opaquePtr(this.ctx), at, 4, false), bb.i8p);
        const data = field(blob.dataAt);
        const end = field(blob.endAt);
        const p = bb.opaquePtr(this.b.CreateGEP(bb.i8, data, [this.expr(blob.offset)]));
        const fits = this.b.CreateICmpULE(this.b.CreatePtrToInt(bb.ptrAt(p, blob.size), bb.i64), this.b.CreatePtrToInt(end, bb.i64));
        // Wide loads at any offset: the verifier allows unaligned packet reads where the CPU does.
        this.ifElse(fits, () => bb.copy(dst, dstAlign, p, 8, blob.size), () => this.fill(dst, blob.fallback, dstAlign));
        return;
      }
      default:
        assertNever(blob, 'IR blob');
    }
  }

  // ------------------------------------------------------------------ function library (src/builtins/)

  private callArgs(args: readonly IrCallArg[], dst?: Value): Value[] {
    return args.map((a) => {
      switch (a.kind) {
        case 'int': return this.expr(a.value);
        case 'blob': return this.blob(a.blob);
        case 'map': return this.bb.mapRef(a.map);
        case 'ctx': return this.ctx;
        case 'dst': return dst ?? this.bb.int(0n);
        case 'blobAt': return this.b.CreateGEP(this.bb.i8, this.blob(a.blob), [this.expr(a.offset)]);
      }
    });
  }

  /**
   * The highest set bit's index of `v` (unsigned; 0 for 0 and 1): a binary search of six steps,
   * each a compare and, when taken, a shift and an add (three instructions). The shifted value (the
   * sum, in the last step, whose shift is dead) is opaque so LLVM keeps the branches instead of
   * turning each step into selects (five).
   */
  private msb(v: Value): Value {
    const bb = this.bb;
    const b = this.b;
    const x = bb.intSlot('msbx');
    const r = bb.intSlot('msbr');
    b.CreateStore(v, x);
    b.CreateStore(bb.int(0n), r);
    for (const step of [32n, 16n, 8n, 4n, 2n, 1n]) {
      const cur = b.CreateLoad(bb.i64, x);
      this.ifThen(b.CreateICmpUGE(cur, bb.int(1n << step)), () => {
        const sum = b.CreateAdd(b.CreateLoad(bb.i64, r), bb.int(step));
        if (step === 1n) {
          b.CreateStore(bb.opaque(sum), r);
        } else {
          b.CreateStore(bb.opaque(b.CreateLShr(cur, bb.int(step))), x);
          b.CreateStore(sum, r);
        }
      });
    }
    return b.CreateLoad(bb.i64, r);
  }

  private libExpr(e: IrLibExpr): Value {
    const bb = this.bb;
    const b = this.b;
    if (e.op === 'call') {
      const r = bb.helper(e.helper, bb.i64, this.callArgs(e.args));
      return r;
    }
    if (e.op === 'kfunc') return bb.kfunc(e.name, bb.i64, this.callArgs(e.args));
    if (e.op === 'ksym') return bb.ksym(e.name);
    if (e.op === 'msb') return this.msb(this.expr(e.value));
    // Per-CPU aggregation read: walk the CPUs with bpf_map_lookup_percpu_elem until it returns NULL.
    const key = this.blob(e.key);
    const acc = bb.intSlot('agg');
    const cnt = bb.intSlot('aggcnt');
    const cpu = bb.intSlot('aggcpu');
    b.CreateStore(bb.int(0n), acc);
    b.CreateStore(bb.int(0n), cnt);
    b.CreateStore(bb.int(0n), cpu);
    const head = bb.block('agg.head');
    const body = bb.block('agg.body');
    const done = bb.block('agg.done');
    b.CreateBr(head);
    b.SetInsertPoint(head);
    const c = b.CreateLoad(bb.i64, cpu);
    b.CreateCondBr(b.CreateICmpULT(c, bb.int(BigInt(MAX_CPUS))), body, done);
    b.SetInsertPoint(body);
    const p = bb.helper(Helper.map_lookup_percpu_elem, bb.i8p, [bb.mapRef(e.map), key, b.CreateAnd(c, bb.int(0xffffffffn))]);
    const got = bb.block('agg.got');
    b.CreateCondBr(b.CreateIsNull(p), done, got);
    b.SetInsertPoint(got);
    const s0 = bb.load(p, 0, 8);
    switch (e.agg) {
      case 'count':
      case 'sum':
        b.CreateStore(b.CreateAdd(b.CreateLoad(bb.i64, acc), s0), acc);
        break;
      case 'avg':
        b.CreateStore(b.CreateAdd(b.CreateLoad(bb.i64, cnt), s0), cnt);
        b.CreateStore(b.CreateAdd(b.CreateLoad(bb.i64, acc), bb.load(p, 8, 8)), acc);
        break;
      case 'min':
      case 'max': {
        const isSet = b.CreateICmpNE(bb.load(p, 8, 8), bb.int(0n));
        const first = b.CreateICmpEQ(b.CreateLoad(bb.i64, cnt), bb.int(0n));
        const cur = b.CreateLoad(bb.i64, acc);
        const better = e.agg === 'min' ? b.CreateICmpSLT(s0, cur) : b.CreateICmpSGT(s0, cur);
        this.ifThen(b.CreateAnd(isSet, b.CreateOr(first, better)), () => {
          b.CreateStore(s0, acc);
          b.CreateStore(bb.int(1n), cnt);
        });
        break;
      }
    }
    b.CreateStore(b.CreateAdd(b.CreateLoad(bb.i64, cpu), bb.int(1n)), cpu);
    b.CreateBr(head);
    b.SetInsertPoint(done);
    const total = b.CreateLoad(bb.i64, acc);
    if (e.agg !== 'avg') return total;
    return this.divide('/', total, b.CreateLoad(bb.i64, cnt), true);
  }
}

/**
 * The characters of a string literal blob (NUL-padded by `record`s to a common size), up to its
 * first NUL; undefined when the blob is not a constant string.
 */
function constString(blob: IrBlob): Buffer | undefined {
  if (blob.op === 'string') {
    const bytes = encodeBytes(blob.value).subarray(0, Math.max(0, blob.size - 1));
    const nul = bytes.indexOf(0);
    return nul < 0 ? bytes : bytes.subarray(0, nul);
  }
  if (blob.op === 'record' && blob.fields.length === 1 && blob.fields[0]!.offset === 0) {
    const inner = constString(blob.fields[0]!.blob);
    // Truncated to the record's size (keeping the record's last byte for a NUL is not guaranteed: cut).
    return inner && inner.length < blob.size ? inner : undefined;
  }
  return undefined;
}

/** Top-level statements of a basic block at most (ProgramGen.endBlock). */
const STATEMENTS_PER_BLOCK = 64;

/** Stores of one repeated byte kept as stores; longer runs are copied (see `fill`). */
const MAX_SPLAT_STORES = 32;

/** How many whole 8-byte words from `off` (8-aligned) repeat one byte value, the word at `off` included (0 if it is not such a word). */
function splatRun(bytes: Buffer, off: number): number {
  const c = bytes[off]!;
  let end = off;
  while (end + 8 <= bytes.length && bytes.subarray(end, end + 8).every((x) => x === c)) end += 8;
  return (end - off) / 8;
}

/** Upper bound of the per-CPU walk in `mapAggRead` (the walk stops at the first CPU the kernel does not have). */
const MAX_CPUS = 512;

function llvmZero8(bb: BpfBuilder): Value {
  return llvmConst(bb, 1, 0n);
}

function llvmConst(bb: BpfBuilder, bytes: number, v: bigint): Value {
  return bb.b.getIntN(bytes * 8, Number(v));
}
