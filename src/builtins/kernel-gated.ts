/**
 * Unsafe functions that change what the traced kernel or process does (bpftrace base.bt): override
 * (a kprobe's function returns `rc` instead of running) and write_user (bpf_probe_write_user).
 * Both need --unsafe (debugf, which writes to the kernel's trace buffer, does not); the runtime also refuses scripts that call their helpers without it
 * (runtime/unsafe-uses.ts).
 */
import type * as ast from '../ast/nodes.js';
import type { IrCallArg, IrExpr } from '../ir/ir.js';
import { byteLength, Helper } from '../contract/index.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { boolType, isIntegral, noneType, sizeOf, typeToString, type Type } from '../types/types.js';
import { argCount, c64, literalFormat, type ArgContext, type LibFunction, type LowerContext, type TypeContext } from './library.js';
import { unsafeCheck } from './output.js';

function overrideAllowed(call: ast.Call, cx: { readonly diags: Diagnostics; readonly probe: ConcreteProbe; readonly unsafe: boolean }): boolean {
  if (cx.probe.provider !== 'kprobe') {
    cx.diags.error('fail', 'override() can only be used inside kprobes', call.span);
    return false;
  }
  return argCount(call, cx, 1, 1) && unsafeCheck(call, cx);
}

/** override(rc): bpf_override_return; kprobes only (the kernel also needs CONFIG_BPF_KPROBE_OVERRIDE and an ALLOW_ERROR_INJECTION function). */
const override: LibFunction = {
  name: 'override',
  unsafe: true,
  typeStmt(call, tx) {
    if (overrideAllowed(call, tx)) tx.typeOf(call.args[0]!);
  },
  stmt(call, cx) {
    if (!overrideAllowed(call, cx)) return [];
    const v = cx.value(call.args[0]!);
    if (!isIntegral(v.type) || v.type.kind === 'ptr') {
      if (v.type.kind !== 'none') cx.diags.error('type-mismatch', `override() only supports int arguments (${typeToString(v.type)} provided)`, call.args[0]!.span);
      return [];
    }
    const rc = cx.intOf(v, call.args[0]!);
    return [{ op: 'if', cond: { op: 'call', helper: Helper.override_return, args: [{ kind: 'ctx' }, { kind: 'int', value: rc }] }, then: [], else: [] }];
  },
};

/** write_user's destination check; false after an error. */
function writeUserDst(call: ast.Call, cx: { readonly diags: Diagnostics }, dst: Type): boolean {
  if (isIntegral(dst)) return true;
  if (dst.kind !== 'none') cx.diags.error('type-mismatch', `write_user() needs a user address, got ${typeToString(dst)}`, call.args[0]!.span);
  return false;
}

/** write_user's length, checked against its source's type; undefined after an error. */
function writeUserLen(call: ast.Call, cx: ArgContext, src: Type): number | undefined {
  if (src.kind === 'none') return undefined;
  const size = sizeOf(src);
  const len = Number(cx.constInt(call.args[2]!));
  if (len >= 1 && len <= size) return len;
  cx.diags.error('invalid-argument', `write_user() length must be between 1 and the size of its source (${size} bytes), got ${len}`, call.args[2]!.span);
  return undefined;
}

/** write_user's typing: its arguments typed as writeUserCall reads them; false after an error. */
function writeUserTyped(call: ast.Call, tx: TypeContext): boolean {
  if (!argCount(call, tx, 3, 3) || !unsafeCheck(call, tx)) return false;
  if (!writeUserDst(call, tx, tx.typeOf(call.args[0]!))) return false;
  return writeUserLen(call, tx, tx.typeOf(call.args[1]!)) !== undefined;
}

/**
 * write_user(dst, src, len): copy len bytes of the value src to the user address dst of the current
 * task; true on success. len is a constant no larger than src (the verifier reads src's bytes).
 */
function writeUserCall(call: ast.Call, cx: LowerContext): IrExpr | undefined {
  {
    if (!argCount(call, cx, 3, 3) || !unsafeCheck(call, cx)) return undefined;
    const dst = cx.value(call.args[0]!);
    if (!writeUserDst(call, cx, dst.type)) return undefined;
    const src = cx.value(call.args[1]!);
    const len = writeUserLen(call, cx, src.type);
    if (len === undefined) return undefined;
    const size = sizeOf(src.type);
    const bytes = src.blob ?? { op: 'int' as const, value: src.int, size: size as 1 | 2 | 4 | 8 };
    return { op: 'call', helper: Helper.probe_write_user, args: [{ kind: 'int', value: cx.intOf(dst, call.args[0]!) }, { kind: 'blob', blob: bytes }, { kind: 'int', value: c64(len) }] };
  }
}

const writeUser: LibFunction = {
  name: 'write_user',
  unsafe: true,
  type: (call, tx) => (writeUserTyped(call, tx) ? boolType : noneType),
  typeStmt: (call, tx) => void writeUserTyped(call, tx),
  expr(call, cx) {
    const r = writeUserCall(call, cx);
    return r ? { type: boolType, int: { op: 'binary', operator: '==', left: r, right: c64(0), signed: true } } : cx.fail();
  },
  // As a statement the call must stay: a dropped value would drop it.
  stmt(call, cx) {
    const r = writeUserCall(call, cx);
    return r ? [{ op: 'if', cond: r, then: [], else: [] }] : [];
  },
};


/** debugf's conversions and what each takes (bpftrace type_checker.cpp bpf_trace_printk_format_types). */
const DEBUGF_CONVERSIONS: Readonly<Record<string, 'int' | 'str'>> = { d: 'int', u: 'int', x: 'int', p: 'int', s: 'str' };

/**
 * debugf(fmt, args...): bpf_trace_printk, formatted by the kernel into the tracing ring buffer
 * (`/sys/kernel/tracing/trace_pipe`), not tsbpf's output. At most three arguments (the helper's).
 */
const debugf: LibFunction = {
  name: 'debugf',
  typeStmt(call, tx) {
    const fmt = argCount(call, tx, 1, 4) ? literalFormat(call, tx) : undefined;
    if (!fmt || fmt.parsed.specs.length !== call.args.length - 1) return;
    // As `stmt`: arguments are typed in order until one is wrong.
    for (const [i, spec] of fmt.parsed.specs.entries()) {
      const want = DEBUGF_CONVERSIONS[spec.conversion];
      if (want === undefined) return;
      const t = tx.typeOf(call.args[i + 1]!);
      if (t.kind === 'none' || (want === 'str' ? t.kind !== 'str' : !isIntegral(t))) return;
    }
  },
  stmt(call, cx) {
    // A malformed format is reported at the format, as printf's.
    const fmt = argCount(call, cx, 1, 4) ? literalFormat(call, cx) : undefined;
    if (!fmt) return [];
    const { parsed } = fmt;
    if (parsed.specs.length !== call.args.length - 1) {
      cx.diags.error('invalid-format', `debugf() has ${parsed.specs.length} conversions and ${call.args.length - 1} arguments`, call.span);
      return [];
    }
    const args: IrCallArg[] = [];
    for (const [i, spec] of parsed.specs.entries()) {
      const e = call.args[i + 1]!;
      const want = DEBUGF_CONVERSIONS[spec.conversion];
      if (want === undefined) {
        cx.diags.error('invalid-format', `Invalid format specifier for \`debugf\`: ${spec.conversion}`, call.args[0]!.span);
        return [];
      }
      const v = cx.value(e);
      if (v.type.kind === 'none') return [];
      if (want === 'str' ? v.type.kind !== 'str' || !v.blob : !isIntegral(v.type)) {
        cx.diags.error('type-mismatch', `Type does not match format specifier: ${spec.conversion}`, e.span);
        return [];
      }
      args.push(want === 'str' ? { kind: 'blob', blob: v.blob! } : { kind: 'int', value: cx.intOf(v, e) });
    }
    const size = byteLength(fmt.text) + 1;
    const format: IrCallArg = { kind: 'blob', blob: { op: 'string', value: fmt.text, size } };
    return [{ op: 'if', cond: { op: 'call', helper: Helper.trace_printk, args: [format, { kind: 'int', value: c64(size) }, ...args] }, then: [], else: [] }];
  },
};

export const KERNEL_GATED_FUNCTIONS: readonly LibFunction[] = [override, writeUser, debugf];
