/**
 * Calls and events: function calls (script macros, the function library), statement calls, events sent to user space, helper-error and runtime warnings.
 * Free functions over the probe's lowerer (src/passes/lower.ts), which dispatches to them.
 */
import type * as ast from '../ast/nodes.js';
import { isAggregation, ALL_FUNCTION_NAMES } from '../builtins/builtins.js';
import { checkFormatArgs, parseFormat, type FormatArgKind } from '../builtins/printf-check.js';
import type { Span } from '../common/span.js';
import type { IrBlob, IrExpr, IrStmt } from '../ir/ir.js';
import { DEFAULT_STRLEN, i64, isIntegral, storageType, typeToString, type Type } from '../types/types.js';
import { didYouMean } from './suggest.js';
import { recordLayout, type EventSpec } from '../contract/index.js';
import { LIBRARY_FUNCTIONS } from '../builtins/functions.js';
import { strSizes } from '../builtins/str-size.js';
import { renderRuntimeWarning } from './int-semantics.js';
import type { SourceFile } from '../common/span.js';
import { getoptValue } from './named-params.js';
import { macroStmts, macroValue } from './lower-stmts.js';
import { knownMap } from './lower-map-use.js';
import { defaultSpace } from './lower-memory.js';
import { stringConst, resizeStr, type TypedValue } from './lower-values.js';
import type { ProbeLowerer } from './lower.js';

export function callStmt(lx: ProbeLowerer, call: ast.Call): IrStmt[] {
  const macro = lx.script.macros?.get(call.callee);
  if (macro) return macroStmts(lx, call, macro);
  switch (call.callee) {
    case 'printf':
      return printf(lx, call);
    case 'exit': {
      if (call.args.length > 1) lx.diags.error('wrong-argument-count', 'exit() takes at most 1 argument', call.span);
      // bpftrace 0.25+: exit() carries an implicit `return`, which a for-loop (and a while-loop
      // inside one) does not allow (control_flow_analyser.cpp ExitReturn + JumpDisallowed).
      if (lx.loopKinds.includes('for-loop')) {
        lx.diags.error('jump-not-allowed', `'return' statement is not allowed in a ${lx.loopKinds[lx.loopKinds.length - 1]}`, call.span);
        return [];
      }
      const code = call.args[0] ? lx.intOf(lx.value(call.args[0]), call.args[0]) : ({ op: 'const', value: 0n } as IrExpr);
      return [emit(lx, { kind: 'exit', args: [i64] }, [{ type: i64, int: code }]), { op: 'return' }];
    }
    case 'print': {
      const first = call.args[0];
      if (!first) {
        lx.diags.error('wrong-argument-count', 'print() takes 1 to 3 arguments', call.span);
        return [];
      }
      if (first.kind === 'MapRef' && first.keys.length === 0) {
        const top = call.args[1] ? Number(lx.constInt(call.args[1])) : 0;
        const div = call.args[2] ? Number(lx.constInt(call.args[2])) : 0;
        knownMap(lx, first);
        return [emit(lx, { kind: 'print-map', map: first.name, args: [], top, div }, [])];
      }
      const v = lx.value(first);
      return [emit(lx, { kind: 'print-value', args: [v.type] }, [v])];
    }
    case 'clear':
    case 'zero': {
      const m = call.args[0];
      if (call.args.length !== 1 || m?.kind !== 'MapRef' || m.keys.length > 0) {
        lx.diags.error('invalid-argument', `${call.callee}() takes one map, e.g. ${call.callee}(@x)`, call.span);
        return [];
      }
      knownMap(lx, m);
      return [emit(lx, { kind: call.callee, map: m.name, args: [] }, [])];
    }
    case 'time': {
      const fmt = call.args[0];
      const format = fmt === undefined ? '%H:%M:%S\n' : fmt.kind === 'StringLiteral' ? fmt.value : undefined;
      if (format === undefined) {
        lx.diags.error('invalid-argument', 'time() takes a string literal format', call.span);
        return [];
      }
      return [emit(lx, { kind: 'time', format, args: [] }, [])];
    }
    default: {
      const lib = LIBRARY_FUNCTIONS.get(call.callee);
      if (lib?.stmt) return lib.stmt(call, lx.libContext());
      if (isAggregation(call.callee)) {
        lx.diags.error('aggregation-outside-map', `${call.callee}() can only be assigned to a map, e.g. @x = ${call.callee}(...)`, call.span);
        return [];
      }
      lx.value(call);
      return [];
    }
  }
}

export function printf(lx: ProbeLowerer, call: ast.Call): IrStmt[] {
  const fmt = call.args[0];
  if (!fmt || fmt.kind !== 'StringLiteral') {
    lx.diags.error('invalid-argument', 'printf() needs a string literal format as its first argument', fmt?.span ?? call.span);
    return [];
  }
  const parsed = parseFormat(fmt.value);
  if (parsed.error) {
    lx.diags.error('invalid-format', parsed.error, fmt.span);
    return [];
  }
  const args = call.args.slice(1).map((a) => lx.value(a));
  // An argument that failed to type-check has been reported already.
  if (args.some((a) => a.type.kind === 'none' && lx.diags.hasErrors)) return [];
  const problem = checkFormatArgs(parsed, args.map((a) => ({ kind: formatKind(a.type), name: typeToString(a.type) })));
  if (problem) {
    lx.diags.error('invalid-format', problem.message, call.span);
    return [];
  }
  // A pointer printed with %s prints its address: almost always a missing str() (bpftrace 0.17 rejects it too).
  const ptrAsStr = parsed.specs.findIndex((sp, i) => sp.conversion === 's' && args[i]?.type.kind === 'ptr');
  if (ptrAsStr >= 0) {
    const argExpr = call.args[ptrAsStr + 1]!;
    lx.diags.error('invalid-format', `%s needs a string, got a pointer (${typeToString(args[ptrAsStr]!.type)})`, argExpr.span, [`read the string it points to with str(${sourceText(lx.script.source, argExpr.span) ?? '...'})`]);
    return [];
  }
  const stored = args.map((a) => ({ ...a, type: storageType(a.type) }) as TypedValue);
  return [emit(lx, { kind: 'printf', format: fmt.value, args: stored.map((a) => a.type) }, stored)];
}

export function emit(lx: ProbeLowerer, spec: EventSpec, args: readonly TypedValue[]): IrStmt {
  const id = lx.script.events.length;
  lx.script.events.push(spec);
  const layout = recordLayout(spec.args);
  const fields = [
    { offset: 0, blob: { op: 'int', value: { op: 'const', value: BigInt(id) }, size: 8 } as IrBlob },
    ...args.map((a, i) => ({ offset: layout.args[i]!.offset, blob: lx.blobOf(a, spec.args[i]!) })),
  ];
  return { op: 'emit', record: { op: 'record', size: layout.size, fields } };
}

export function call(lx: ProbeLowerer, e: ast.Call): TypedValue {
  const macro = lx.script.macros?.get(e.callee);
  if (macro) return macroValue(lx, e, macro);
  if (e.callee === 'str') {
    if (e.args.length < 1 || e.args.length > 2) {
      lx.diags.error('wrong-argument-count', 'str() takes 1 or 2 arguments', e.span);
      return lx.fail();
    }
    const arg = lx.value(e.args[0]!);
    const { size, read } = strSizes(lx.script.maxStrlen ?? DEFAULT_STRLEN, e.args[1] ? Number(lx.constInt(e.args[1])) : undefined);
    if (arg.type.kind === 'str') return arg;
    if (arg.type.kind === 'none') return lx.fail(); // already reported
    if (!isIntegral(arg.type)) {
      lx.diags.error('type-mismatch', `str() needs a pointer, got ${typeToString(arg.type)}`, e.args[0]!.span);
      return lx.fail();
    }
    const space = arg.type.kind === 'ptr' ? arg.type.space : defaultSpace(lx);
    const blob: IrBlob = { op: 'readStr', addr: arg.int!, size: read, space, err: helperErr(lx, `probe_read_${space}_str`, e.span, true) };
    if (read <= size) return { type: { kind: 'str', size }, blob: resizeStr(blob, read, size) };
    // One byte more than the value keeps: a value without a NUL was truncated (str-size.ts).
    const trailer = lx.script.strTruncTrailer ?? '..';
    return { type: { kind: 'str', size, ...(trailer ? { truncTrailer: trailer } : {}) }, blob: { op: 'slice', blob, offset: 0, size } };
  }
  if (e.callee === 'getopt') {
    const v = getoptValue(e, lx.script.namedParams ?? new Map(), lx.script.givenParams ?? new Map(), lx.diags);
    if (!v) return lx.fail();
    return v.type === 'string' ? stringConst(v.value, lx.script.maxStrlen) : { type: v.type, int: { op: 'const', value: v.value } };
  }
  const lib = LIBRARY_FUNCTIONS.get(e.callee);
  if (lib?.expr) return lib.expr(e, lx.libContext());
  if (isAggregation(e.callee)) {
    lx.diags.error('aggregation-outside-map', `${e.callee}() can only be assigned to a map, e.g. @x = ${e.callee}(...)`, e.span);
    return lx.fail();
  }
  if (ALL_FUNCTION_NAMES.includes(e.callee)) {
    lx.diags.error('no-value', `${e.callee}() has no value and cannot be used in an expression`, e.span);
    return lx.fail();
  }
  const hint = didYouMean(e.callee, ALL_FUNCTION_NAMES);
  lx.diags.error('unknown-function', `unknown function: ${e.callee}()`, e.calleeSpan, hint ? [`did you mean ${hint}()?`] : undefined);
  return lx.fail();
}

/**
 * The `helper-error` event id for a helper call at `span` when the warning level checks it
 * (bpftrace CreateHelperErrorCond: probe reads and map lookups need `-k`, other helpers are
 * checked unless `--no-warnings`); undefined = no check.
 */
export function helperErr(lx: ProbeLowerer, helper: string, span: Span | undefined, needsK: boolean): number | undefined {
  const level = lx.script.warningLevel ?? 1;
  if (level === 0 || (needsK && level < 2) || !span) return undefined;
  const rendered = renderRuntimeWarning('\u0000', lx.script.source, span);
  const cut = rendered.indexOf('\u0000');
  const where = rendered.slice(0, cut).replace(/: WARNING: $/, '').replace(/^WARNING: $/, '');
  const m = /^(.*):(\d+):(\d+)/.exec(where);
  const loc = { filename: m?.[1] ?? lx.script.source?.name ?? 'stdin', line: Number(m?.[2] ?? 0), col: Number(m?.[3] ?? 0), text: where, context: rendered.slice(cut + 1).split('\n').slice(1) };
  const key = `${helper}@${span.start}:${span.end}`;
  const known = lx.helperErrIds.get(key);
  if (known !== undefined) return known;
  const id = lx.script.events.length;
  lx.script.events.push({ kind: 'helper-error', helper, loc, args: [i64] });
  lx.helperErrIds.set(key, id);
  return id;
}

/** An event that makes the runtime print a warning about this place in the script. */
export function runtimeWarning(lx: ProbeLowerer, code: string, message: string, span: Span): IrStmt | undefined {
  void code;
  const text = renderRuntimeWarning(message, lx.script.source, span);
  return emit(lx, { kind: 'runtime-warning', text, args: [] }, []);
}

export function sourceText(source: SourceFile | undefined, span: Span): string | undefined {
  return source?.text.slice(span.start, span.end);
}

export function formatKind(t: Type): FormatArgKind {
  switch (t.kind) {
    case 'int':
      return 'integer';
    case 'bool':
      return 'boolean';
    case 'ptr':
      return 'pointer';
    case 'str':
      return 'string';
    case 'none':
      return 'none';
    case 'rich':
      return t.of === 'buffer' ? 'buffer' : 'other';
    default:
      return 'other';
  }
}
