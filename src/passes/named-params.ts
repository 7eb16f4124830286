import type * as ast from '../ast/nodes.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { boolType, i64, u64, type Type } from '../types/types.js';

/**
 * Named program parameters (bpftrace 0.24): `getopt("port", 80, "description")` reads
 * `--port=8080` given after `--` on the command line; `getopt("verbose")` is a boolean flag. The
 * type comes from the default: bool, unsigned (non-negative integer), signed (negative integer)
 * or string. tsbpf folds the value into the program at compile time (the compile cache is keyed
 * on the arguments); bpftrace keeps it in a read-only global.
 */
export interface NamedParam {
  readonly name: string;
  readonly kind: 'bool' | 'unsigned' | 'signed' | 'string';
  readonly default: bigint | boolean | string;
  readonly description: string;
}

/** The command line after `--` split into named parameters (`--a=1`, `--b`) and positional ones. */
export function splitParams(args: readonly string[]): { positionals: string[]; named: Map<string, string | undefined> } {
  const positionals: string[] = [];
  const named = new Map<string, string | undefined>();
  for (const a of args) {
    if (!a.startsWith('--') || a === '--') {
      positionals.push(a);
      continue;
    }
    const body = a.slice(2);
    const eq = body.indexOf('=');
    if (eq < 0) named.set(body, undefined);
    else named.set(body.slice(0, eq), body.slice(eq + 1));
  }
  return { positionals, named };
}

export type ParamValue = { readonly type: Type; readonly value: bigint } | { readonly type: 'string'; readonly value: string };

/** Declare a getopt() call's parameter and give its value; undefined after an error (reported). */
export function getoptValue(call: ast.Call, params: Map<string, NamedParam>, given: ReadonlyMap<string, string | undefined>, diags: Diagnostics): ParamValue | undefined {
  const [nameArg, defArg, descArg] = call.args;
  if (call.args.length < 1 || call.args.length > 3) {
    diags.error('wrong-argument-count', "The 'getopt' function can take a maximum of three arguments and a minimum of one argument.", call.span);
    return undefined;
  }
  if (nameArg?.kind !== 'StringLiteral') {
    diags.error('invalid-argument', "First argument to 'getopt' must be a string literal.", nameArg?.span ?? call.span);
    return undefined;
  }
  let description = '';
  if (descArg) {
    if (descArg.kind !== 'StringLiteral') {
      diags.warning('invalid-argument', "Function 'getopt' requires the third parameter to be a string literal.", descArg.span);
      return undefined;
    }
    description = descArg.value;
  }
  let p: NamedParam;
  const name = nameArg.value;
  if (!defArg) p = { name, kind: 'bool', default: false, description };
  else if (defArg.kind === 'BoolLiteral') p = { name, kind: 'bool', default: defArg.value, description };
  else if (defArg.kind === 'StringLiteral') p = { name, kind: 'string', default: defArg.value, description };
  else if (defArg.kind === 'IntLiteral') p = { name, kind: 'unsigned', default: defArg.value, description };
  else if (defArg.kind === 'Unary' && defArg.op === '-' && defArg.operand.kind === 'IntLiteral') p = { name, kind: 'signed', default: -defArg.operand.value, description };
  else {
    diags.error('invalid-argument', "Second argument to 'getopt' must be a string literal, integer literal, or a boolean literal.", defArg.span);
    return undefined;
  }
  const prev = params.get(name);
  if (prev) {
    if (prev.default !== p.default || prev.kind !== p.kind) {
      diags.error('getopt-mismatch', `Command line option '${name}' needs to have the same default value in all places it is used. Previous default value: ${String(prev.default)}`, call.span);
      return undefined;
    }
    if (description && prev.description && prev.description !== description) {
      diags.error('getopt-mismatch', `Command line option '${name}' must have the same description in all places it's used. Hint: You can wrap it in a macro`, call.span);
      return undefined;
    }
    if (!description) p = { ...p, description: prev.description };
  }
  params.set(name, p);
  const bad = (value: string, err: string): undefined => {
    diags.error('named-param', `program command line option --${name} ${err} (value: ${value})`);
    return undefined;
  };
  const raw = given.get(name);
  const has = given.has(name);
  switch (p.kind) {
    case 'bool': {
      let v = p.default as boolean;
      if (has) {
        if (raw === undefined) v = true;
        else if (['1', 'true', 'on', 'yes'].includes(raw.toLowerCase())) v = true;
        else if (['0', 'false', 'off', 'no'].includes(raw.toLowerCase())) v = false;
        else return bad(raw, "expects a boolean (e.g. 'true')");
      }
      return { type: boolType, value: v ? 1n : 0n };
    }
    case 'string':
      if (has && raw === undefined) return bad('true', 'expects a string');
      return { type: 'string', value: has ? raw! : (p.default as string) };
    default: {
      const type = p.kind === 'signed' ? i64 : u64;
      if (!has) return { type, value: BigInt.asIntN(64, p.default as bigint) };
      if (raw === undefined) return bad('true', 'expects an integer');
      const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(raw.trim());
      if (!m || (p.kind === 'unsigned' && m[1] === '-')) return bad(raw, `is not a valid ${p.kind === 'signed' ? 'integer' : 'unsigned integer'}`);
      const mag = /^0[0-7]+$/.test(m[2]!) ? BigInt('0o' + m[2]!.slice(1)) : BigInt(m[2]!);
      const v = m[1] === '-' ? -mag : mag;
      if (p.kind === 'unsigned' ? v > (1n << 64n) - 1n : v > (1n << 63n) - 1n || v < -(1n << 63n)) return bad(raw, 'value is out of range');
      return { type, value: BigInt.asIntN(64, v) };
    }
  }
}

/**
 * After lowering: named parameters the program does not declare are an error (bpftrace's
 * UnknownParamError); `--help` lists the declared ones with their descriptions.
 */
export function checkNamedParams(params: ReadonlyMap<string, NamedParam>, given: ReadonlyMap<string, string | undefined>, diags: Diagnostics): void {
  const unexpected = [...given.keys()].filter((k) => !params.has(k));
  if (unexpected.length === 0) return;
  const help = unexpected.includes('help');
  const list = [...params.values()];
  const hint = list.length === 0
    ? 'no custom program options defined.'
    : 'expected program options:' + (help ? '\n' : ' ')
      + list.map((p) => `--${p.name}${help && p.description ? `: ${p.description}` : ''}`).join(help ? '\n' : ': ');
  const others = unexpected.filter((k) => k !== 'help');
  if (others.length) diags.error('unexpected-named-param', `unexpected program command line options: ${others.map((k) => `--${k}`).join(', ')}`, undefined, [hint]);
  else diags.error('named-param-help', '', undefined, [hint]); // rendered as the HINT lines alone
}
