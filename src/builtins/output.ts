/** Output functions run by user space: cat, and the unsafe system and signal (behind --unsafe, as in bpftrace). */
import type * as ast from '../ast/nodes.js';
import { checkFormatArgs, parseFormat } from '../common/printf-format.js';
import type { IrStmt } from '../ir/ir.js';
import { storageType, typeToString, type Type } from '../types/types.js';
import { argCount, c64, type LibFunction, type LibValue, type LowerContext } from './library.js';

const SEND_SIGNAL = 109;

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

export function unsafeCheck(call: ast.Call, cx: LowerContext): boolean {
  if (cx.unsafe) return true;
  cx.diags.error('unsafe-function', `${call.callee}() is an unsafe function being used in safe mode`, call.calleeSpan, ['run with --unsafe to allow it']);
  return false;
}

/** A printf-like call whose formatted text user space acts on (cat, system). */
function formatted(kind: 'cat' | 'system', call: ast.Call, cx: LowerContext): IrStmt[] {
  if (!argCount(call, cx, 1, Infinity)) return [];
  const fmt = cx.constString(call.args[0]!, 'a string literal format');
  if (fmt === undefined) return [];
  const parsed = parseFormat(fmt);
  if (parsed.error) {
    cx.diags.error('invalid-format', parsed.error, call.args[0]!.span);
    return [];
  }
  const args = call.args.slice(1).map((a) => cx.value(a));
  if (args.some((a) => a.type.kind === 'none')) return [];
  const problem = checkFormatArgs(parsed, args.map((a) => ({ kind: formatKind(a.type), name: typeToString(a.type) })));
  if (problem) {
    cx.diags.error('invalid-format', problem.message, call.span);
    return [];
  }
  const stored = args.map((a) => ({ ...a, type: storageType(a.type) }) as LibValue);
  return [cx.emit({ kind, format: fmt, args: stored.map((a) => a.type) }, stored)];
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
  { name: 'cat', stmt: (call, cx) => formatted('cat', call, cx) },
  { name: 'system', unsafe: true, stmt: (call, cx) => (unsafeCheck(call, cx) ? formatted('system', call, cx) : []) },
  {
    name: 'signal',
    unsafe: true,
    stmt(call, cx) {
      if (!unsafeCheck(call, cx) || !argCount(call, cx, 1, 1)) return [];
      const sig = signalNumber(call.args[0]!, cx);
      if (sig === undefined) return [];
      return [{ op: 'if', cond: { op: 'call', helper: SEND_SIGNAL, args: [{ kind: 'int', value: c64(sig) }] }, then: [], else: [] }];
    },
  },
];
