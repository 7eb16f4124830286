/**
 * Calls and events: function calls (script macros, the function library), statement calls, events sent to user space, helper-error and runtime warnings.
 * Free functions over the probe's lowerer (src/passes/lower.ts), which dispatches to them.
 */
import type * as ast from '../ast/nodes.js';
import { isAggregation, ALL_FUNCTION_NAMES, PACKET_FUNCTION_NAMES } from '../builtins/builtins.js';
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
  const lib = LIBRARY_FUNCTIONS.get(call.callee);
  if (lib?.stmt) return lib.stmt(call, lx.libContext());
  if (isAggregation(call.callee)) {
    lx.diags.error('aggregation-outside-map', `${call.callee}() can only be assigned to a map, e.g. @x = ${call.callee}(...)`, call.span);
    return [];
  }
  lx.value(call);
  return [];
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
  if (PACKET_FUNCTION_NAMES.includes(e.callee)) {
    lx.diags.error('no-packet', `${e.callee}() is only available as a statement in xdp and tc probes (this is ${lx.probe.provider})`, e.span);
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
  const key = `${helper}@${span.start}:${span.end}`;
  const known = lx.helperErrIds.get(key);
  if (known !== undefined) return known;
  const rendered = renderRuntimeWarning('\u0000', lx.script.source, span);
  const cut = rendered.indexOf('\u0000');
  const where = rendered.slice(0, cut).replace(/: WARNING: $/, '').replace(/^WARNING: $/, '');
  const m = /^(.*):(\d+):(\d+)/.exec(where);
  const loc = { filename: m?.[1] ?? lx.script.source?.name ?? 'stdin', line: Number(m?.[2] ?? 0), col: Number(m?.[3] ?? 0), text: where, context: rendered.slice(cut + 1).split('\n').slice(1) };
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


