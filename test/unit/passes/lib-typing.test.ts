/**
 * Library functions are typed by their declared typing (`type`, `typeStmt`, `typeAggregate` on the
 * record, src/builtins/library.ts), never by running their lowering hook: the type pass
 * (src/passes/type-of.ts) has no other way to type them. A record listed here has a lowering hook
 * without its typing (it would type as none); the list is empty and must stay so.
 */
import test from 'ava';
import { untypedRecords } from '../../../src/builtins/functions.js';

const UNTYPED: readonly string[] = [];

test('every library record declares the typing of each of its lowering hooks', (t) => {
  const remaining = untypedRecords();
  t.log(`${remaining.length} records without a declared typing`);
  t.deepEqual([...remaining].sort(), [...UNTYPED].sort());
});
