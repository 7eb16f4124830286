/** printf() format checks against the argument types (bpftrace 0.26 `FormatString::check`). */
import { parseFormat, SUPPORTED_CONVERSIONS, type FormatArgKind, type FormatSpec, type ParsedFormat } from '../contract/index.js';

export { parseFormat, type FormatArgKind } from '../contract/index.js';

/** What the type checker knows about one printf argument; `name` is its type as bpftrace prints it (e.g. `string[16]`). */
export interface FormatArgType {
  kind: FormatArgKind;
  name: string;
}

/**
 * bpftrace's `FormatString::check`: the error message for these argument types, or undefined.
 * Messages: `not enough arguments for format string (1 supplied, 2 expected)`, `too many arguments
 * for format string (...)`, `unable to print none type for specifier: d`,
 * `unsupported format specifier: f`, `unsupported format specifier for type 'string': d`.
 */
export function checkFormatArgs(fmt: string | ParsedFormat, args: readonly FormatArgType[]): { message: string; spec?: FormatSpec } | undefined {
  const parsed = typeof fmt === 'string' ? parseFormat(fmt) : fmt;
  const { specs } = parsed;
  if (args.length < specs.length) {
    return { message: `not enough arguments for format string (${args.length} supplied, ${specs.length} expected)` };
  }
  if (args.length > specs.length) {
    return { message: `too many arguments for format string (${args.length} supplied, ${specs.length} expected)` };
  }
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const arg = args[i]!;
    if (arg.kind === 'none' || arg.kind === 'void') {
      return { message: 'unable to print none type for specifier: ' + spec.conversion, spec };
    }
    const allowed = SUPPORTED_CONVERSIONS[spec.conversion];
    if (allowed === undefined) return { message: 'unsupported format specifier: ' + spec.conversion, spec };
    if (allowed === 'any') continue;
    if (!allowed.includes(arg.kind)) {
      return { message: `unsupported format specifier for type '${arg.name}': ${spec.conversion}`, spec };
    }
  }
  return undefined;
}
