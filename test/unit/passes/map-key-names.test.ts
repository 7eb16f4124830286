/** The names of a map's key parts as the script writes them (src/passes/map-key-names.ts), for export labels. */
import test from 'ava';
import type * as ast from '../../../src/ast/nodes.js';
import { mapKeyNames } from '../../../src/passes/map-key-names.js';
import { parse } from '../../../src/syntax/index.js';

function names(text: string): Record<string, readonly string[]> {
  const r = parse({ name: 'stdin', text });
  return Object.fromEntries(mapKeyNames(r.program as ast.Program));
}

test('builtins, fields, variables and stack calls name key parts; a tuple key is its parts', (t) => {
  t.deepEqual(names('BEGIN { @[comm] = count(); @b[pid, __builtin_tid] = sum(1); }'), { '@': ['comm'], '@b': ['pid', 'tid'] });
  t.deepEqual(names('t:syscalls:sys_enter_read { $fd = args.fd; @[(args.count, $fd)] = count(); @s[kstack, ustack(3)] = count(); }'), { '@': ['count', 'fd'], '@s': ['kstack', 'ustack'] });
});

test('a part written differently in two places, or not a name, leaves the map unnamed', (t) => {
  t.deepEqual(names('BEGIN { @[comm] = count(); } END { @[str(arg0)] = count(); }'), {});
  t.deepEqual(names('BEGIN { @[pid] = count(); } END { @[tid] = count(); }'), {});
  t.deepEqual(names('BEGIN { @[pid + 1] = count(); @x = 1; }'), {});
  // Two parts of one name would be one label twice.
  t.deepEqual(names('BEGIN { @[$a, $a] = count(); }'), {});
  // Uses without keys (print(@m), clear(@m)) do not count against the names.
  t.deepEqual(names('BEGIN { @m[comm] = count(); print(@m); clear(@m); }'), { '@m': ['comm'] });
});
