/**
 * Functions that are statements (they have no value): printf, exit, print, clear, zero, time.
 * Each sends an event the runtime acts on (src/contract/events.ts).
 */
import type * as ast from '../ast/nodes.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { ParsedFormat } from '../contract/index.js';
import type { IrExpr } from '../ir/ir.js';
import { i64, storageType, typeToString, type Type } from '../types/types.js';
import { argCount, endRequest, type LibFunction, type LibValue } from './library.js';
import { checkFormatArgs, parseFormat, type FormatArgKind } from './printf-check.js';

/** printf's literal format, parsed; undefined after an error. */
function printfFormat(call: ast.Call, cx: { readonly diags: Diagnostics }): { text: string; parsed: ParsedFormat } | undefined {
  const fmt = call.args[0];
  if (!fmt || fmt.kind !== 'StringLiteral') {
    cx.diags.error('invalid-argument', 'printf() needs a string literal format as its first argument', fmt?.span ?? call.span);
    return undefined;
  }
  const parsed = parseFormat(fmt.value);
  if (parsed.error) {
    cx.diags.error('invalid-format', parsed.error, fmt.span);
    return undefined;
  }
  return { text: fmt.value, parsed };
}

/** printf("format", args...): the arguments checked against the format's conversions, sent with it. */
const printf: LibFunction = {
  name: 'printf',
  typeStmt(call, tx) {
    if (printfFormat(call, tx)) for (const a of call.args.slice(1)) tx.typeOf(a);
  },
  stmt(call, cx) {
    const format = printfFormat(call, cx);
    if (!format) return [];
    const { parsed } = format;
    const args = call.args.slice(1).map((a) => cx.value(a));
    // An argument that failed to type-check has been reported already.
    if (args.some((a) => a.type.kind === 'none' && cx.diags.hasErrors)) return [];
    const problem = checkFormatArgs(parsed, args.map((a) => ({ kind: formatKind(a.type), name: typeToString(a.type) })));
    if (problem) {
      cx.diags.error('invalid-format', problem.message, call.span);
      return [];
    }
    // A pointer printed with %s prints its address: almost always a missing str() (bpftrace 0.17 rejects it too).
    const ptrAsStr = parsed.specs.findIndex((sp, i) => sp.conversion === 's' && args[i]?.type.kind === 'ptr');
    if (ptrAsStr >= 0) {
      const argExpr = call.args[ptrAsStr + 1]!;
      const text = cx.source?.text.slice(argExpr.span.start, argExpr.span.end);
      cx.diags.error('invalid-format', `%s needs a string, got a pointer (${typeToString(args[ptrAsStr]!.type)})`, argExpr.span, [`read the string it points to with str(${text ?? '...'})`]);
      return [];
    }
    const stored = args.map((a) => ({ ...a, type: storageType(a.type) }) as LibValue);
    return [cx.emit({ kind: 'printf', format: format.text, args: stored.map((a) => a.type) }, stored)];
  },
};

/** exit([code]): ends the run after this probe. */
const exit: LibFunction = {
  name: 'exit',
  typeStmt(call, tx) {
    if (call.args[0]) tx.typeOf(call.args[0]);
  },
  stmt(call, cx) {
    argCount(call, cx, 0, 1);
    // bpftrace 0.25+: exit() carries an implicit `return`, which a for-loop (and a while-loop
    // inside one) does not allow (control_flow_analyser.cpp ExitReturn + JumpDisallowed).
    const loops = cx.loops();
    if (loops.includes('for-loop')) {
      cx.diags.error('jump-not-allowed', `'return' statement is not allowed in a ${loops[loops.length - 1]}`, call.span);
      return [];
    }
    const code = call.args[0] ? cx.intOf(cx.value(call.args[0]), call.args[0]) : ({ op: 'const', value: 0n } as IrExpr);
    return [endRequest(cx.emit({ kind: 'exit', args: [i64] }, [{ type: i64, int: code }])), { op: 'return' }];
  },
};

/** print(@map[, top[, div]]) or print(value). */
const print: LibFunction = {
  name: 'print',
  typeStmt(call, tx) {
    const first = call.args[0];
    // A whole map is printed by the runtime: only a value is typed.
    if (first && !(first.kind === 'MapRef' && first.keys.length === 0)) tx.typeOf(first);
  },
  stmt(call, cx) {
    const first = call.args[0];
    if (!first) {
      cx.diags.error('wrong-argument-count', 'print() requires at least one argument (0 provided)', call.span);
      return [];
    }
    if (first.kind === 'MapRef' && first.keys.length === 0) {
      const top = call.args[1] ? Number(cx.constInt(call.args[1])) : 0;
      const div = call.args[2] ? Number(cx.constInt(call.args[2])) : 0;
      cx.knownMap(first);
      return [cx.emit({ kind: 'print-map', map: first.name, args: [], top, div }, [])];
    }
    const v = cx.value(first);
    return [cx.emit({ kind: 'print-value', args: [v.type] }, [v])];
  },
};

/** clear(@map) / zero(@map): done by the runtime on the map. */
function mapCommand(name: 'clear' | 'zero'): LibFunction {
  return {
    name,
    // Done by the runtime on the map: nothing to type.
    typeStmt: () => undefined,
    stmt(call, cx) {
      const m = call.args[0];
      if (call.args.length !== 1 || m?.kind !== 'MapRef' || m.keys.length > 0) {
        cx.diags.error('invalid-argument', `${name}() takes one map, e.g. ${name}(@x)`, call.span);
        return [];
      }
      cx.knownMap(m);
      return [cx.emit({ kind: name, map: m.name, args: [] }, [])];
    },
  };
}

/** time([format]): the wall-clock time, formatted by the runtime. */
const time: LibFunction = {
  name: 'time',
  typeStmt: () => undefined,
  stmt(call, cx) {
    const fmt = call.args[0];
    const format = fmt === undefined ? '%H:%M:%S\n' : fmt.kind === 'StringLiteral' ? fmt.value : undefined;
    if (format === undefined) {
      cx.diags.error('invalid-argument', 'time() takes a string literal format', call.span);
      return [];
    }
    return [cx.emit({ kind: 'time', format, args: [] }, [])];
  },
};

export const STATEMENT_FUNCTIONS: readonly LibFunction[] = [printf, exit, print, mapCommand('clear'), mapCommand('zero'), time];

/** What a printf conversion is checked against. */
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
