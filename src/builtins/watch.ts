/** Watchpoint functions: unwatch(addr), bpftrace's async removal of the watchpoints on an address. */
import { isIntegral, typeToString, u64 } from '../types/types.js';
import { argCount, type LibFunction } from './library.js';

export const WATCH_FUNCTIONS: readonly LibFunction[] = [
  {
    name: 'unwatch',
    typeStmt(call, tx) {
      if (argCount(call, tx, 1, 1)) tx.typeOf(call.args[0]!);
    },
    stmt(call, cx) {
      if (!argCount(call, cx, 1, 1)) return [];
      const arg = call.args[0]!;
      const v = cx.value(arg);
      if (!isIntegral(v.type)) {
        if (v.type.kind !== 'none') cx.diags.error('type-mismatch', `unwatch() expects an integer address, got ${typeToString(v.type)}`, arg.span);
        return [];
      }
      // User space detaches every watchpoint probe on this address (runtime/session/session.ts).
      return [cx.emit({ kind: 'unwatch', args: [u64] }, [{ type: u64, int: cx.intOf(v, arg) }])];
    },
  },
];
