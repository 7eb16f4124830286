/**
 * Identifiers and scratch variables: builtins, probe arguments, registers, enumerators; variable scopes, declarations and their resolved types.
 * Free functions over the probe's lowerer (src/passes/lower.ts), which dispatches to them.
 */
import type * as ast from '../ast/nodes.js';
import { HELPER_VAR_NAMES } from '../builtins/builtins.js';
import type { Span } from '../common/span.js';
import { i64, isIntegral, PROBE_STR_SIZE, sizeOf, typeEquals, typeToString, type Type } from '../types/types.js';
import { didYouMean } from './suggest.js';
import { targetBuiltin } from './target-process.js';
import { lowerUsdtArg } from './usdt-lower.js';
import { LIBRARY_VARS } from '../builtins/functions.js';
import { probeTypeName } from '../builtins/probe-context.js';
import { ptrType } from './lower-types.js';
import { enumConstant } from './enums.js';
import { mergeVarType } from './var-types.js';
import { macroValue } from './lower-stmts.js';
import { contextField } from './lower-memory.js';
import { stringConst, type TypedValue } from './lower-values.js';
import type { ProbeLowerer } from './lower.js';

/** bpftrace's probe types that have `args` (a uprobe's come from its debug info). */
const ARGS_PROBE_TYPES: ReadonlySet<string> = new Set(['tracepoint', 'rawtracepoint', 'fentry', 'fexit', 'uprobe', 'uretprobe', 'iter']);

/**
 * Why argN or retval is missing: bpftrace's message (ast/passes/builtins.cpp) where the probe type
 * never has it, tsbpf's own where it has some (arg7 of a kprobe: six argument registers).
 */
function registerBuiltinMessage(name: string, provider: string): string {
  const kind = probeTypeName(provider);
  if (name === 'retval') {
    if (['kretprobe', 'uretprobe', 'fentry', 'fexit'].includes(kind)) return `retval is not available in ${provider} probes`;
    return `The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'fentry' probes${kind === 'tracepoint' ? ' (try to use args.ret instead)' : ''}`;
  }
  if (['kprobe', 'uprobe', 'usdt', 'rawtracepoint'].includes(kind)) return `${name} is not available in ${provider} probes`;
  return `The ${name} builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes`;
}

/** A scratch variable's value. */
export function variableValue(lx: ProbeLowerer, e: ast.Variable): TypedValue {
  const v = lookupVar(lx, e);
  if (!v) return lx.fail();
  if (lx.unassignedVars.has(v.id)) lx.diags.warning('unassigned-variable', `Variable used before it was assigned: ${e.name}`, e.span);
  if (isIntegral(v.type)) return { type: v.type, int: { op: 'var', id: v.id } };
  if (v.type.kind === 'none') return { type: i64, int: { op: 'var', id: v.id } };
  return { type: v.type, blob: { op: 'varBlob', id: v.id, size: sizeOf(v.type) } };
}

export function identifier(lx: ProbeLowerer, e: ast.Identifier): TypedValue {
  const target = targetBuiltin(e.name, lx.script.target);
  if (typeof target === 'string') {
    lx.diags.error('no-child-command', target, e.span);
    return lx.fail();
  }
  if (target) return { type: target.type, int: { op: 'const', value: target.value } };
  if (e.name === 'probe') return stringConst(lx.probe.userName ?? lx.probe.name, PROBE_STR_SIZE);
  const libVar = LIBRARY_VARS.get(e.name);
  if (libVar) return libVar.lower(e, lx.libContext());
  if (e.name === 'args') {
    if (!lx.probe.args) {
      // bpftrace's message where its probe type has no args at all (a uprobe has them with debug info).
      const kind = probeTypeName(lx.probe.provider);
      const message = ARGS_PROBE_TYPES.has(kind)
        ? `${lx.probe.provider} probes have no args`
        : `The args builtin can only be used with tracepoint, rawtracepoint, fentry/fexit, and uprobe probes (${kind} used here)`;
      lx.diags.error('no-args', message, e.span);
      return lx.fail();
    }
    return { type: { kind: 'args' }, int: { op: 'const', value: 0n } };
  }
  const usdtArg = lx.probe.usdtArgs && /^arg\d+$/.test(e.name) ? lx.probe.usdtArgs[Number(e.name.slice(3))] : undefined;
  if (usdtArg) return lowerUsdtArg(usdtArg);
  const reg = lx.probe.registers.find((r) => r.name === e.name);
  if (reg) return contextField(lx, reg);
  if (/^arg\d+$/.test(e.name) || e.name === 'retval') {
    lx.diags.error('no-such-builtin', registerBuiltinMessage(e.name, lx.probe.provider), e.span);
    return lx.fail();
  }
  const macro = lx.script.macros?.get(e.name);
  if (macro && macro.params.length === 0) return macroValue(lx, { kind: 'Call', span: e.span, callee: e.name, calleeSpan: e.span, args: [] }, macro, e);
  const enumerator = enumConstant(e.name, lx.types.enums);
  if (enumerator) return { type: enumerator.type, int: { op: 'const', value: enumerator.value } };
  const hint = didYouMean(e.name, [...HELPER_VAR_NAMES, 'args', 'probe', ...lx.probe.registers.map((r) => r.name)]);
  lx.diags.error('unknown-identifier', `Unknown identifier: '${e.name}'`, e.span, hint ? [`did you mean ${hint}?`] : undefined);
  return lx.fail();
}

export function lookupVar(lx: ProbeLowerer, v: ast.Variable): { id: number; type: Type } | undefined {
  const found = lx.findVar(v.name);
  if (!found) {
    const hint = didYouMean(v.name, lx.scopes.flatMap((m) => [...m.keys()]));
    lx.diags.error('undefined-variable', `Undefined or undeclared variable: ${v.name}`, v.span, hint ? [`did you mean ${hint}?`] : undefined);
  }
  return found;
}

export function declareVar(lx: ProbeLowerer, name: string, type: Type, span: Span, fresh = false, fixed = false): { id: number; type: Type } | undefined {
  const existing = fresh ? lx.scopes[lx.scopes.length - 1]!.get(name) : lx.findVar(name);
  if (existing && !existing.fixed && existing.key) {
    // bpftrace 0.26: a reassignment promotes the variable's type (src/passes/var-types.ts).
    const merged = mergeVarType(existing.type, type);
    if (merged && !typeEquals(merged, existing.type)) {
      lx.script.varTypes?.set(existing.key, merged);
      if (isIntegral(merged) || sizeOf(merged) <= sizeOf(existing.type)) existing.type = merged;
    }
  }
  if (existing) {
    if (isIntegral(existing.type) && isIntegral(type)) return existing;
    if (mergeVarType(existing.type, type) && typeEquals(mergeVarType(existing.type, type)!, existing.type)) return existing;
    if (existing.type.kind === 'str' && type.kind === 'str' && type.size <= existing.type.size) return existing;
    if (!typeEquals(existing.type, type)) {
      lx.diags.error('variable-type-mismatch', `Type mismatch for ${name}: trying to assign value of type '${typeToString(type)}' when variable already has a type '${typeToString(existing.type)}'`, span);
      return undefined;
    }
    return existing;
  }
  const id = lx.irVars.length;
  const key = `${lx.probe.name}|${span.start}|${name}`;
  const learned = fixed ? undefined : lx.script.varTypes?.get(key);
  if (learned) type = mergeVarType(learned, type) ?? type;
  const stored = isIntegral(type) ? i64 : type;
  // A variable still without a type (`let $x;` never assigned) is a 64-bit slot.
  lx.irVars.push({ id, size: isIntegral(type) || type.kind === 'none' ? undefined : sizeOf(type) });
  const entry = { id, type: isIntegral(type) ? type : stored, key, fixed };
  lx.scopes[lx.scopes.length - 1]!.set(name, entry);
  return entry;
}
