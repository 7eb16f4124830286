/** Output functions run by user space: cat, and the unsafe system and signal (behind --unsafe, as in bpftrace). */
import type * as ast from '../ast/nodes.js';
import { checkFormatArgs } from './printf-check.js';
import type { IrBlob, IrExpr, IrStmt } from '../ir/ir.js';
import { Helper, MapType, recordLayout } from '../contract/index.js';
import { isIntegral, storageType, typeToString, type Type } from '../types/types.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { argCount, c64, literalFormat, type ArgContext, type LibFunction, type LibValue, type LowerContext, type TypeContext } from './library.js';


/** bpftrace's join limits (bpftrace.h join_argnum_, join_argsize_). */
export const JOIN_ARGNUM = 16;
export const JOIN_ARGSIZE = 1024;
export const JOIN_SCRATCH_MAP = '.join';

/**
 * join(char *arr[], sep = " "): as bpftrace's createJoinCall, reads up to JOIN_ARGNUM strings of the
 * NULL-terminated array into a record {u64 event id; char s[JOIN_ARGNUM][JOIN_ARGSIZE]} built in a
 * per-CPU scratch map (it is far larger than the BPF stack) and sends it; user space prints the
 * strings up to the first empty one, separated by `sep` (runtime/session/lib-events.ts).
 */
function joinSeparator(call: ast.Call, cx: ArgContext): string | undefined {
  if (!argCount(call, cx, 1, 2)) return undefined;
  return call.args[1] ? cx.constString(call.args[1], 'a string literal separator') : ' ';
}

function join(call: ast.Call, cx: LowerContext): IrStmt[] {
  const sep = joinSeparator(call, cx);
  if (sep === undefined) return [];
  const arr = cx.value(call.args[0]!);
  if (!isIntegral(arr.type) || !arr.int) {
    if (arr.type.kind !== 'none') cx.diags.error('type-mismatch', `join() needs an array of strings (char *[]), got ${typeToString(arr.type)}`, call.args[0]!.span);
    return [];
  }
  const p = cx.probe;
  const space = arr.type.kind === 'ptr' ? arr.type.space : p.provider.startsWith('u') || p.name.startsWith('tracepoint:syscalls:') ? 'user' : 'kernel';
  const strType: Type = { kind: 'str', size: JOIN_ARGSIZE };
  const spec = { kind: 'join' as const, sep, args: new Array<Type>(JOIN_ARGNUM).fill(strType) };
  const layout = recordLayout(spec.args);
  const id = cx.registerEvent(spec);
  const map = cx.internalMap(JOIN_SCRATCH_MAP, { bpfType: MapType.PERCPU_ARRAY, keySize: 4, valueSize: layout.size, maxEntries: 1 });
  const rec = cx.temp();
  const base = cx.temp();
  const idx = cx.temp();
  const elem = cx.temp();
  const R: IrExpr = { op: 'var', id: rec };
  const I: IrExpr = { op: 'var', id: idx };
  const E: IrExpr = { op: 'var', id: elem };
  const readStr = space === 'user' ? Helper.probe_read_user_str : Helper.probe_read_kernel_str;
  // String i is at offset 8 + i * JOIN_ARGSIZE (strings are byte-aligned in the record).
  const dst: IrExpr = {
    op: 'binary', operator: '+', signed: false, left: R,
    right: { op: 'binary', operator: '+', signed: false, left: c64(layout.args[0]!.offset), right: { op: 'binary', operator: '*', left: I, right: c64(JOIN_ARGSIZE), signed: false } },
  };
  const read = (src: IrExpr): IrStmt => ({ op: 'if', cond: { op: 'call', helper: readStr, args: [{ kind: 'int', value: dst }, { kind: 'int', value: c64(JOIN_ARGSIZE) }, { kind: 'int', value: src }] }, then: [], else: [] });
  const addr: IrExpr = { op: 'binary', operator: '+', left: { op: 'var', id: base }, right: { op: 'binary', operator: '*', left: I, right: c64(8), signed: false }, signed: false };
  // Up to the array's NULL: a failed read (of NULL) clears the string, which ends the join
  // (the scratch record is reused, so later strings may be stale; user space stops at the empty one).
  const body: IrStmt[] = [
    { op: 'setVar', id: idx, value: c64(0) },
    {
      op: 'loop',
      cond: { op: 'binary', operator: '<', left: I, right: c64(JOIN_ARGNUM), signed: false },
      body: [
        { op: 'setVar', id: elem, value: { op: 'readInt', addr, size: 8, signed: false, space } },
        read(E),
        { op: 'if', cond: { op: 'binary', operator: '==', left: E, right: c64(0), signed: false }, then: [{ op: 'break' }], else: [] },
      ],
      step: [{ op: 'setVar', id: idx, value: { op: 'binary', operator: '+', left: I, right: c64(1), signed: false } }],
    },
    { op: 'emitPtr', ptr: R, size: layout.size },
  ];
  const key: IrBlob = { op: 'int', value: c64(0), size: 4 };
  const idBlob: IrBlob = { op: 'int', value: c64(id), size: 8 };
  return [
    { op: 'setVar', id: base, value: arr.int },
    { op: 'setVar', id: rec, value: { op: 'call', helper: Helper.map_lookup_elem, args: [{ kind: 'map', map }, { kind: 'blob', blob: key }] } },
    {
      op: 'if', cond: { op: 'binary', operator: '!=', left: R, right: c64(0), signed: false },
      then: [{ op: 'if', cond: { op: 'call', helper: Helper.probe_read_kernel, args: [{ kind: 'int', value: R }, { kind: 'int', value: c64(8) }, { kind: 'blob', blob: idBlob }] }, then: [], else: [] }, ...body],
      else: [],
    },
  ];
}

function formatKind(t: Type): 'integer' | 'boolean' | 'pointer' | 'string' | 'buffer' | 'none' | 'other' {
  switch (t.kind) {
    case 'int': return 'integer';
    case 'bool': return 'boolean';
    case 'ptr': return 'pointer';
    case 'str': return 'string';
    case 'none': return 'none';
    case 'rich': return t.of === 'buffer' ? 'buffer' : 'other';
    default: return 'other';
  }
}

export function unsafeCheck(call: ast.Call, cx: { readonly unsafe: boolean; readonly diags: Diagnostics }): boolean {
  if (cx.unsafe) return true;
  cx.diags.error('unsafe-function', `${call.callee}() is an unsafe function being used in safe mode`, call.calleeSpan, ['run with --unsafe to allow it']);
  return false;
}

/** A printf-like call whose formatted text user space acts on (cat, system, errorf, warnf). */
function formatted(kind: 'cat' | 'system' | 'errorf' | 'warnf', call: ast.Call, cx: LowerContext): IrStmt[] {
  const fmt = argCount(call, cx, 1, Infinity) ? literalFormat(call, cx) : undefined;
  if (!fmt) return [];
  const { parsed } = fmt;
  const args = call.args.slice(1).map((a) => cx.value(a));
  if (args.some((a) => a.type.kind === 'none')) return [];
  const problem = checkFormatArgs(parsed, args.map((a) => ({ kind: formatKind(a.type), name: typeToString(a.type) })));
  if (problem) {
    cx.diags.error('invalid-format', problem.message, call.span);
    return [];
  }
  const stored = args.map((a) => ({ ...a, type: storageType(a.type) }) as LibValue);
  const types = stored.map((a) => a.type);
  if (kind === 'errorf' || kind === 'warnf') return [cx.emit({ kind, format: fmt.text, loc: callLocation(call, cx), args: types }, stored)];
  return [cx.emit({ kind, format: fmt.text, args: types }, stored)];
}

/** formatted()'s typing: its arguments, when the format is one. */
function typeFormatted(call: ast.Call, tx: TypeContext): void {
  const fmt = argCount(call, tx, 1, Infinity) ? literalFormat(call, tx) : undefined;
  if (fmt) for (const a of call.args.slice(1)) tx.typeOf(a);
}

/** bpftrace's location of a call: `stdin:1:9-62` (1-based columns, the end one past the call). */
function callLocation(call: ast.Call, cx: LowerContext): { filename: string; line: number; col: number; text: string } {
  const src = cx.source;
  if (!src) return { filename: 'stdin', line: 0, col: 0, text: 'stdin' };
  const before = src.text.slice(0, call.span.start);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const col = call.span.start - lineStart + 1;
  const endText = src.text.slice(0, call.span.end);
  const endLine = endText.split('\n').length;
  const text = endLine === line ? `${src.name}:${line}:${col}-${call.span.end - lineStart + 1}` : `${src.name}:${line}-${endLine}`;
  return { filename: src.name, line, col, text };
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19,
  SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28,
  SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};

function signalNumber(e: ast.Expr, cx: LowerContext): bigint | undefined {
  if (e.kind === 'StringLiteral' || e.kind === 'Identifier') {
    const name = e.kind === 'StringLiteral' ? e.value : e.name;
    const n = SIGNALS[name.startsWith('SIG') ? name : `SIG${name}`];
    if (n === undefined) {
      cx.diags.error('invalid-argument', `unknown signal: ${name}`, e.span);
      return undefined;
    }
    return BigInt(n);
  }
  const n = cx.constInt(e);
  if (n < 1n || n > 64n) {
    cx.diags.error('invalid-argument', `signal number must be between 1 and 64, got ${n}`, e.span);
    return undefined;
  }
  return n;
}

export const OUTPUT_FUNCTIONS: readonly LibFunction[] = [
  {
    name: 'join',
    typeStmt(call, tx) {
      if (joinSeparator(call, tx) !== undefined) tx.typeOf(call.args[0]!);
    },
    stmt: join,
  },
  { name: 'errorf', typeStmt: typeFormatted, stmt: (call, cx) => formatted('errorf', call, cx) },
  { name: 'warnf', typeStmt: typeFormatted, stmt: (call, cx) => formatted('warnf', call, cx) },
  {
    name: 'signal_thread',
    unsafe: true,
    // The signal is a constant: nothing to type.
    typeStmt: () => undefined,
    stmt(call, cx) {
      if (!unsafeCheck(call, cx) || !argCount(call, cx, 1, 1)) return [];
      const sig = signalNumber(call.args[0]!, cx);
      if (sig === undefined) return [];
      return [{ op: 'if', cond: { op: 'call', helper: Helper.send_signal_thread, args: [{ kind: 'int', value: c64(sig) }] }, then: [], else: [] }];
    },
  },
  { name: 'cat', typeStmt: typeFormatted, stmt: (call, cx) => formatted('cat', call, cx) },
  {
    name: 'system',
    unsafe: true,
    typeStmt: (call, tx) => (unsafeCheck(call, tx) ? typeFormatted(call, tx) : undefined),
    stmt: (call, cx) => (unsafeCheck(call, cx) ? formatted('system', call, cx) : []),
  },
  {
    name: 'signal',
    unsafe: true,
    typeStmt: () => undefined,
    stmt(call, cx) {
      if (!unsafeCheck(call, cx) || !argCount(call, cx, 1, 1)) return [];
      const sig = signalNumber(call.args[0]!, cx);
      if (sig === undefined) return [];
      return [{ op: 'if', cond: { op: 'call', helper: Helper.send_signal, args: [{ kind: 'int', value: c64(sig) }] }, then: [], else: [] }];
    },
  },
];
