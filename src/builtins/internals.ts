/**
 * kptr/uptr (address-space marks), find (a map lookup into a variable), container_of, kfunc_exist (kernel BTF),
 * and bpftrace's `__builtin_*` names, which its stdlib macros are written in (base.bt).
 */
import type * as ast from '../ast/nodes.js';
import { kernelBtfFuncs } from '../kernel/btf-funcs.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { MapSpec } from '../passes/program-info.js';
import { boolType, noneType, typeToString, u32, type Type } from '../types/types.js';
import { argCount, c64, type LibFunction, type LibValue, type LowerContext } from './library.js';

/** kptr(p) / uptr(p): the same pointer, read from kernel / user memory from now on; integers become `void *`. */
function addressSpace(name: string, space: 'kernel' | 'user'): LibFunction {
  /** The marked pointer's type; undefined after an error. */
  const marked = (call: ast.Call, cx: { readonly diags: Diagnostics }, t: Type): Type | undefined => {
    if (t.kind === 'ptr') return { ...t, space };
    if (t.kind === 'int') return { kind: 'ptr', to: 'void', space };
    if (t.kind !== 'none') cx.diags.error('type-mismatch', `${name}() needs a pointer, got ${typeToString(t)}`, call.args[0]!.span);
    return undefined;
  };
  return {
    name,
    type: (call, tx) => (argCount(call, tx, 1, 1) ? marked(call, tx, tx.typeOf(call.args[0]!)) ?? noneType : noneType),
    expr(call, cx) {
      if (!argCount(call, cx, 1, 1)) return cx.fail();
      const v = cx.value(call.args[0]!);
      const type = v.int ? marked(call, cx, v.type) : undefined;
      return type && v.int ? { type, int: v.int } : cx.fail();
    },
  };
}

/** `a` or `a.b.c` as a member path (container_of's third argument). */
function memberPath(e: ast.Expr): string[] | undefined {
  if (e.kind === 'Identifier') return [e.name];
  if (e.kind === 'FieldAccess' && !e.arrow) {
    const head = memberPath(e.object);
    return head && [...head, e.field];
  }
  return undefined;
}

/**
 * container_of(ptr, struct T, member): the `struct T *` whose `member` is at ptr (bpftrace's meta.bt
 * macro), lowered as `(struct T *)((uint64)ptr - offsetof(struct T, member))`.
 */
const containerOf: LibFunction = {
  name: 'container_of',
  type(call, tx) {
    const e = containerOfExpr(call, tx);
    return e ? tx.typeOf(e) : noneType;
  },
  expr(call, cx) {
    const e = containerOfExpr(call, cx);
    return e ? cx.value(e) : cx.fail();
  },
};

/** container_of's expression; undefined after an error. */
function containerOfExpr(call: ast.Call, cx: { readonly diags: Diagnostics }): ast.Expr | undefined {
  if (!argCount(call, cx, 3, 3)) return undefined;
  const [ptr, type, member] = call.args as [ast.Expr, ast.Expr, ast.Expr];
  if (type.kind !== 'TypeArg') {
    cx.diags.error('type-mismatch', 'container_of() takes a type as its second argument, e.g. container_of($p, struct task_struct, tasks)', type.span);
    return undefined;
  }
  const path = memberPath(member);
  if (!path) {
    cx.diags.error('type-mismatch', 'container_of() takes a member name as its third argument', member.span);
    return undefined;
  }
  const span = call.span;
  const u64: ast.TypeExpr = { kind: 'TypeExpr', span, name: 'uint64', pointerDepth: 0, arraySize: undefined };
  const address: ast.Expr = {
    kind: 'Binary', span, op: '-',
    left: { kind: 'Cast', span, type: u64, expr: ptr },
    right: { kind: 'Offsetof', span, type: type.type, path },
  };
  return { kind: 'Cast', span, type: { ...type.type, pointerDepth: type.type.pointerDepth + 1 }, expr: address };
}

let findCount = 0;

/**
 * find(@m, key, $v): true and $v = @m[key] when the key exists, else false with $v untouched
 * (bpftrace's find macro), lowered as `{ let $f = has_key(@m, key); if ($f) { $v = @m[key]; } $f }`.
 */
const find: LibFunction = {
  name: 'find',
  type(call, tx) {
    const block = findBlock(call, tx);
    return block ? tx.typeOf(block) : noneType;
  },
  expr(call, cx) {
    const block = findBlock(call, cx);
    return block ? cx.value(block) : cx.fail();
  },
};

/** find's block expression; undefined after an error. */
function findBlock(call: ast.Call, cx: { readonly diags: Diagnostics; knownMap(m: ast.MapRef): MapSpec | undefined }): ast.Expr | undefined {
  if (!argCount(call, cx, 3, 3)) return undefined;
  const [m, key, v] = call.args as [ast.Expr, ast.Expr, ast.Expr];
  if (m.kind !== 'MapRef' || m.keys.length > 0) {
    cx.diags.error('invalid-argument', 'find() takes a map as its first argument, e.g. find(@m, key, $v)', m.span);
    return undefined;
  }
  if (v.kind !== 'Variable') {
    cx.diags.error('invalid-argument', 'find() stores the value in a scratch variable: find(@m, key, $v)', v.span);
    return undefined;
  }
  const spec = cx.knownMap(m);
  if (!spec) return undefined;
  if (spec.keyTypes.length === 0) {
    cx.diags.error('invalid-argument', `call to find expects a map with explicit keys (non-scalar map)`, m.span);
    return undefined;
  }
  const span = call.span;
  const found: ast.Variable = { kind: 'Variable', name: `$find#${++findCount}`, span };
  const keys = key.kind === 'Tuple' && spec.keyTypes.length > 1 ? key.elems : [key];
  const block: ast.BlockExpr = {
    kind: 'BlockExpr',
    span,
    stmts: [
      { kind: 'VarDecl', span, variable: found, type: undefined, value: { kind: 'Call', span, callee: 'has_key', calleeSpan: call.calleeSpan, args: [m, key] } },
      { kind: 'If', span, cond: found, then: { kind: 'Block', span, stmts: [{ kind: 'Assign', span, op: '=', target: v, value: { kind: 'MapRef', span: m.span, name: m.name, keys } }] }, else: undefined },
    ],
    value: found,
  };
  return block;
}

/** kfunc_exist("name"): the running kernel's BTF has a function of that name (bpftrace: has_kfunc). */
function kfuncExistName(call: ast.Call, cx: { readonly diags: Diagnostics }): string | undefined {
  if (!argCount(call, cx, 1, 1)) return undefined;
  const a = call.args[0]!;
  if (a.kind === 'StringLiteral') return a.value;
  cx.diags.error('fail', 'kfunc_exist() accepts a string literal only', a.span);
  return undefined;
}

const kfuncExist: LibFunction = {
  name: 'kfunc_exist',
  type: (call, tx) => (kfuncExistName(call, tx) === undefined ? noneType : boolType),
  expr(call, cx) {
    const name = kfuncExistName(call, cx);
    return name === undefined ? cx.fail() : { type: boolType, int: c64(kernelBtfFuncs()?.hasFunction(name) ? 1 : 0) };
  },
};

/** bpftrace's internal names for builtins its stdlib macros wrap: `__builtin_comm` is `comm`. */
const BUILTIN_ALIASES = ['comm', 'cpu', 'elapsed', 'func', 'ncpus', 'probe', 'probetype', 'retval', 'usermode', 'kfunc_exist', 'is_literal', 'uaddr'];

function alias(name: string): LibFunction {
  const aliased = (call: ast.Call): ast.Expr => (call.args.length === 0 ? { kind: 'Identifier', name, span: call.span } : { ...call, callee: name });
  return {
    name: `__builtin_${name}`,
    bare: true,
    type: (call, tx) => tx.typeOf(aliased(call)),
    expr: (call, cx): LibValue => cx.value(aliased(call)),
  };
}

/** `__builtin_cpid`: the child's pid, 0 without -c (the `cpid` identifier is an error then). */
const builtinCpid: LibFunction = {
  name: '__builtin_cpid',
  bare: true,
  type(call, tx) {
    if (!argCount(call, tx, 0, 0)) return noneType;
    // has_cpid is a constant of the compile: with -c, cpid is a u32 constant too (target-process.ts).
    tx.typeOf({ kind: 'Identifier', name: 'has_cpid', span: call.span });
    return u32;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 0, 0)) return cx.fail();
    const has = cx.value({ kind: 'Identifier', name: 'has_cpid', span: call.span });
    return has.int?.op === 'const' && has.int.value !== 0n ? cx.value({ kind: 'Identifier', name: 'cpid', span: call.span }) : { type: { kind: 'int', bits: 32, signed: false }, int: c64(0) };
  },
};

/** `__builtin_safe_mode`: true unless --unsafe was given. */
const builtinSafeMode: LibFunction = {
  name: '__builtin_safe_mode',
  bare: true,
  type: (call, tx) => (argCount(call, tx, 0, 0) ? boolType : noneType),
  expr: (call, cx: LowerContext) => (argCount(call, cx, 0, 0) ? { type: boolType, int: c64(cx.unsafe ? 0 : 1) } : cx.fail()),
};

export const INTERNAL_FUNCTIONS: readonly LibFunction[] = [
  addressSpace('kptr', 'kernel'),
  addressSpace('uptr', 'user'),
  find,
  containerOf,
  kfuncExist,
  builtinCpid,
  builtinSafeMode,
  ...BUILTIN_ALIASES.map(alias),
];
