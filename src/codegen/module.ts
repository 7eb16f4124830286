import type llvmTypes from 'llvm-bindings';
import { assertNever } from '../ast/nodes.js';
import type { IrBlob, IrCallArg, IrExpr, IrLibExpr, IrModule, IrProgram, IrStmt } from '../ir/ir.js';
import { alignAt, BpfBuilder, Helper } from './bpf-builder.js';
import { FRAME_CTX, FRAME_RETURNED, frameLayout, usesCallbacks } from './callbacks.js';
import { encodeBytes } from '../common/bytes.js';

type Value = llvmTypes.Value;

const BPF_ANY = 0n;
const BPF_NOEXIST = 1n;

/** Size in bytes of a blob, as lowering laid it out. */
export function blobSize(blob: IrBlob): number {
  switch (blob.op) {
    case 'int':
      return blob.size;
    case 'zero': case 'string': case 'comm': case 'readStr': case 'ctxBytes': case 'record': case 'mapGetBlob': case 'varBlob':
    case 'slice': case 'select': case 'readBytes': case 'callFill':
      return blob.size;
    case 'seqBlob':
      return blobSize(blob.value);
  }
}

/** Turns the tsbpf IR into one LLVM module with one function per probe program. */
export function buildModule(ir: IrModule): { text: string; sections: Record<string, string> } {
  const bb = new BpfBuilder('tsbpf');
  const sections: Record<string, string> = {};
  for (const prog of ir.programs) {
    new ProgramGen(bb, ir, prog).generate();
    sections[prog.name] = prog.section;
  }
  return { text: bb.print(), sections };
}

class ProgramGen {
  private ctx!: Value;
  private intVars = new Map<number, Value>();
  private blobVars = new Map<number, Value>();
  private zeroKey: Value | undefined;
  /** Innermost loop last: where `continue` and `break` go. */
  private readonly loops: { next: llvmTypes.BasicBlock; exit: llvmTypes.BasicBlock }[] = [];
  /** The variable frame shared with callbacks (src/codegen/callbacks.ts); undefined when the program has none. */
  private frame: Value | undefined;
  /** Generating a callback subprogram: `return` sets the frame's flag and stops the iteration. */
  private inCallback = false;
  private callbackCount = 0;

  constructor(
    private readonly bb: BpfBuilder,
    private readonly ir: IrModule,
    private readonly prog: IrProgram,
  ) {}

  private get b(): llvmTypes.IRBuilder {
    return this.bb.b;
  }

  generate(): void {
    this.ctx = this.bb.beginFunction(this.prog.name);
    if (usesCallbacks(this.prog.body)) this.allocFrame();
    else for (const v of this.prog.vars) {
      if (v.size === undefined) this.intVars.set(v.id, this.bb.intSlot(`v${v.id}`));
      else this.blobVars.set(v.id, this.bb.slot(v.size, `v${v.id}`));
    }
    // Blob variables start zeroed (bpftrace: uninitialised scratch variables are zero).
    if (!this.frame) for (const v of this.prog.vars) if (v.size !== undefined) this.bb.zero(this.blobVars.get(v.id)!, v.size);
    this.stmts(this.prog.body);
    this.bb.endFunction();
  }

  // ------------------------------------------------------------------ statements

  private stmts(list: readonly IrStmt[]): void {
    for (const s of list) this.stmt(s);
  }

  private stmt(s: IrStmt): void {
    const bb = this.bb;
    switch (s.op) {
      case 'mapSet': {
        const key = this.blob(s.key);
        const value = this.blob(s.value);
        bb.helper(Helper.map_update_elem, bb.i64, [bb.mapRef(s.map), key, value, bb.int(BPF_ANY)]);
        return;
      }
      case 'mapAdd': {
        const delta = this.expr(s.delta);
        this.lookupOrInit(s.map, s.key, 8, (p) => bb.store(p, 0, 8, this.b.CreateAdd(bb.load(p, 0, 8), delta)), (init) => bb.store(init, 0, 8, delta));
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
        );
        return;
      }
      case 'mapCountTotal': {
        const v = this.expr(s.value);
        this.lookupOrInit(
          s.map, s.key, 16,
          (p) => {
            bb.store(p, 0, 8, this.b.CreateAdd(bb.load(p, 0, 8), bb.int(1n)));
            bb.store(p, 8, 8, this.b.CreateAdd(bb.load(p, 8, 8), v));
          },
          (init) => {
            bb.store(init, 0, 8, bb.int(1n));
            bb.store(init, 8, 8, v);
          },
        );
        return;
      }
      case 'mapBucketAdd': {
        const bucket = this.expr(s.bucket);
        const key = this.blob(s.key);
        const map = s.map;
        // Values too large for the stack are created from the zero map's value, then looked up again.
        let p = bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(map), key]);
        const slot = bb.slot(8, 'bucketptr');
        const slotP = this.b.CreateBitCast(slot, bb.llvmPtrTo(bb.i8p));
        this.b.CreateStore(p, slotP);
        this.ifThen(this.b.CreateIsNull(p), () => {
          const zeros = bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(this.ir.zeroMap), this.zeroKeyPtr()]);
          this.ifThen(this.b.CreateIsNotNull(zeros), () => {
            bb.helper(Helper.map_update_elem, bb.i64, [bb.mapRef(map), key, zeros, bb.int(BPF_NOEXIST)]);
            this.b.CreateStore(bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(map), key]), slotP);
          });
        });
        p = this.b.CreateLoad(bb.i8p, slotP);
        const inRange = this.b.CreateICmpULT(bucket, bb.int(BigInt(s.slots)));
        this.ifThen(this.b.CreateAnd(this.b.CreateIsNotNull(p), inRange), () => {
          const cell = this.b.CreateGEP(bb.i64, this.b.CreateBitCast(p, bb.llvmPtrTo(bb.i64)), [bucket]);
          this.b.CreateStore(this.b.CreateAdd(this.b.CreateLoad(bb.i64, cell), bb.int(1n)), cell);
        });
        return;
      }
      case 'mapTseries':
        this.mapTseries(s);
        return;
      case 'mapDelete':
        bb.helper(Helper.map_delete_elem, bb.i64, [bb.mapRef(s.map), this.blob(s.key)]);
        return;
      case 'emit': {
        const rec = this.blob(s.record);
        const r = bb.helper(Helper.ringbuf_output, bb.i64, [bb.mapRef(this.ir.ringbufMap), rec, bb.int(BigInt(blobSize(s.record))), bb.int(0n)]);
        this.ifThen(this.b.CreateICmpNE(r, bb.int(0n)), () => {
          const p = bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(this.ir.lostMap), this.zeroKeyPtr()]);
          this.ifThen(this.b.CreateIsNotNull(p), () => bb.store(p, 0, 8, this.b.CreateAdd(bb.load(p, 0, 8), bb.int(1n))));
        });
        return;
      }
      case 'emitPtr': {
        const rec = this.b.CreateIntToPtr(this.expr(s.ptr), bb.i8p);
        const r = bb.helper(Helper.ringbuf_output, bb.i64, [bb.mapRef(this.ir.ringbufMap), rec, bb.int(BigInt(s.size)), bb.int(0n)]);
        this.ifThen(this.b.CreateICmpNE(r, bb.int(0n)), () => {
          const p = bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(this.ir.lostMap), this.zeroKeyPtr()]);
          this.ifThen(this.b.CreateIsNotNull(p), () => bb.store(p, 0, 8, this.b.CreateAdd(bb.load(p, 0, 8), bb.int(1n))));
        });
        return;
      }
      case 'setVar':
        this.b.CreateStore(this.expr(s.value), this.intVars.get(s.id)!);
        return;
      case 'setVarBlob': {
        const dst = this.blobVars.get(s.id)!;
        const size = blobSize(s.value);
        bb.copy(dst, 8, this.blob(s.value), 8, size);
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
        this.b.SetInsertPoint(elseB);
        this.stmts(s.else);
        this.b.CreateBr(join);
        this.b.SetInsertPoint(join);
        return;
      }
      case 'return': {
        if (this.inCallback) {
          // Stop the iteration; the caller sees the flag and leaves the probe (bpftrace's loop_return).
          bb.store(this.frame!, FRAME_RETURNED, 8, bb.int(1n));
          this.b.CreateRet(bb.int(1n));
        } else this.b.CreateRet(bb.int(0n));
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
    const layout = frameLayout(this.prog.vars);
    const frame = bb.slot(layout.size, 'frame');
    bb.zero(frame, layout.size);
    this.b.CreateStore(this.ctx, this.b.CreateBitCast(bb.ptrAt(frame, FRAME_CTX), bb.llvmPtrTo(bb.i8p)));
    this.bindFrame(frame);
  }

  /** Point the variables at the frame `frame` (in the current function). */
  private bindFrame(frame: Value): void {
    const bb = this.bb;
    const layout = frameLayout(this.prog.vars);
    this.frame = frame;
    this.intVars = new Map();
    this.blobVars = new Map();
    for (const v of this.prog.vars) {
      const p = bb.ptrAt(frame, layout.offsets.get(v.id)!);
      if (v.size === undefined) this.intVars.set(v.id, this.b.CreateBitCast(p, bb.llvmPtrTo(bb.i64)));
      else this.blobVars.set(v.id, p);
    }
  }

  private callbackStmt(s: Extract<IrStmt, { op: 'forEachMap' | 'callbackLoop' }>): void {
    const bb = this.bb;
    const b = this.b;
    const frame = this.frame!;
    const count = s.op === 'callbackLoop' ? this.expr(s.count) : undefined;
    const params = s.op === 'forEachMap' ? [bb.i8p, bb.i8p, bb.i8p, bb.i8p] : [bb.i64, bb.i8p];
    const fn = bb.beginCallback(`${this.prog.name}_cb${this.callbackCount++}`, params);
    const saved = { ctx: this.ctx, intVars: this.intVars, blobVars: this.blobVars, zeroKey: this.zeroKey, frame: this.frame, inCallback: this.inCallback };
    this.bindFrame(fn.getArg(s.op === 'forEachMap' ? 3 : 1));
    this.ctx = b.CreateLoad(bb.i8p, b.CreateBitCast(bb.ptrAt(this.frame!, FRAME_CTX), bb.llvmPtrTo(bb.i8p)));
    this.zeroKey = undefined;
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
      bb.helper(Helper.for_each_map_elem, bb.i64, [bb.mapRef(s.map), bb.fnPtr(fn), frame, bb.int(0n)]);
    } else {
      this.ifThen(b.CreateICmpSGT(count!, bb.int(0n)), () => {
        bb.helper(Helper.loop, bb.i64, [count!, bb.fnPtr(fn), frame, bb.int(0n)]);
      });
    }
    // A `return` in the body: leave the probe (or, in an enclosing callback, stop that one too).
    this.ifThen(b.CreateICmpNE(bb.load(frame, FRAME_RETURNED, 8), bb.int(0n)), () => {
      b.CreateRet(bb.int(this.inCallback ? 1n : 0n));
      b.SetInsertPoint(bb.block('dead'));
    });
  }

  /**
   * Look up `key`; if present run `update(ptr)`, else build a fresh value with `init(ptr)` and
   * insert it with BPF_ANY. On per-CPU maps an update from a program only writes this CPU's slot,
   * so two CPUs inserting the same key at once lose nothing (bpftrace does the same).
   */
  private lookupOrInit(map: number, keyBlob: IrBlob, valueSize: number, update: (p: Value) => void, init: (p: Value) => void): void {
    const bb = this.bb;
    const key = this.blob(keyBlob);
    const p = bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(map), key]);
    this.ifElse(
      this.b.CreateIsNotNull(p),
      () => update(p),
      () => {
        const fresh = bb.slot(valueSize, 'init');
        if (valueSize > 8) bb.zero(fresh, valueSize);
        init(fresh);
        bb.helper(Helper.map_update_elem, bb.i64, [bb.mapRef(map), key, fresh, bb.int(BPF_ANY)]);
      },
    );
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
    this.b.SetInsertPoint(elseB);
    otherwise();
    this.b.CreateBr(join);
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
      this.zeroKey = this.bb.slot(8, 'zerokey');
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
        return bb.loadI64(this.ctx, e.offset, e.size, e.signed);
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
        const p = bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(e.map), this.blob(e.key)]);
        return this.branchValue(b.CreateIsNotNull(p), () => bb.load(p, 0, 8), () => bb.int(0n));
      }
      case 'blobEquals': {
        const size = blobSize(e.left);
        const l = this.blob(e.left);
        const r = this.blob(e.right);
        const eq = this.stringsEqual(l, r, size);
        return e.negate ? b.CreateXor(eq, bb.int(1n)) : eq;
      }
      case 'seq':
        this.stmts(e.stmts);
        return this.expr(e.value);
      case 'blobLoad': {
        const src = this.blob(e.blob);
        return bb.loadI64(src, e.offset, e.size, e.signed);
      }
      case 'readInt': {
        const dst = bb.slot(8, 'rd');
        bb.store(dst, 0, 8, bb.int(0n));
        const helper = e.space === 'user' ? Helper.probe_read_user : Helper.probe_read_kernel;
        bb.helper(helper, bb.i64, [dst, bb.int(BigInt(e.size)), b.CreateIntToPtr(this.expr(e.addr), bb.i8p)]);
        return bb.loadI64(dst, 0, e.size, e.signed);
      }
      case 'call':
      case 'mapAggRead':
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

  /** Byte-wise string equality up to the first NUL (both strings end there) or `size`. */
  private stringsEqual(l: Value, r: Value, size: number): Value {
    const bb = this.bb;
    const b = this.b;
    const result = bb.intSlot('streq');
    b.CreateStore(bb.int(1n), result);
    const done = bb.block('streq.done');
    for (let i = 0; i < size; i++) {
      const lc = bb.load(l, i, 1);
      const rc = bb.load(r, i, 1);
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
        bb.zero(dst, blob.size, dstAlign);
        const helper = blob.space === 'user' ? Helper.probe_read_user_str : Helper.probe_read_kernel_str;
        const addr = this.b.CreateIntToPtr(this.expr(blob.addr), bb.i8p);
        bb.helper(helper, bb.i64, [dst, bb.int(BigInt(blob.size)), addr]);
        return;
      }
      case 'ctxBytes':
        bb.copy(dst, dstAlign, bb.ptrAt(this.ctx, blob.offset), alignAt(blob.offset), blob.size);
        return;
      case 'record': {
        bb.zero(dst, blob.size, dstAlign);
        for (const f of blob.fields) {
          const at = bb.ptrAt(dst, f.offset);
          const align = Math.min(dstAlign, alignAt(f.offset));
          const size = Math.min(blobSize(f.blob), blob.size - f.offset);
          if (f.blob.op === 'int' || f.blob.op === 'string' || f.blob.op === 'record' || f.blob.op === 'zero') {
            if (blobSize(f.blob) <= blob.size - f.offset) {
              this.fill(at, f.blob, align);
              continue;
            }
          }
          const src = this.blob(f.blob);
          bb.copy(at, align, src, 8, size);
        }
        return;
      }
      case 'mapGetBlob': {
        bb.zero(dst, blob.size, dstAlign);
        const p = bb.helper(Helper.map_lookup_elem, bb.i8p, [bb.mapRef(blob.map), this.blob(blob.key)]);
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
        bb.zero(dst, blob.size, dstAlign);
        const helper = blob.space === 'user' ? Helper.probe_read_user : Helper.probe_read_kernel;
        bb.helper(helper, bb.i64, [dst, bb.int(BigInt(blob.size)), this.b.CreateIntToPtr(this.expr(blob.addr), bb.i8p)]);
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

  private libExpr(e: IrLibExpr): Value {
    const bb = this.bb;
    const b = this.b;
    if (e.op === 'call') {
      const r = bb.helper(e.helper, bb.i64, this.callArgs(e.args));
      return r;
    }
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

/** Upper bound of the per-CPU walk in `mapAggRead` (the walk stops at the first CPU the kernel does not have). */
const MAX_CPUS = 512;

function llvmZero8(bb: BpfBuilder): Value {
  return llvmConst(bb, 1, 0n);
}

function llvmConst(bb: BpfBuilder, bytes: number, v: bigint): Value {
  return bb.b.getIntN(bytes * 8, Number(v));
}
