/** Every function of the language has a signature and a description (`.help NAME` in the shell), from one table. */
import test from 'ava';
import { ALL_FUNCTION_NAMES, HELPER_VAR_NAMES } from '../../../src/builtins/builtins.js';
import { FUNCTION_DOCS } from '../../../src/builtins/docs.js';
import { functionDoc, LIBRARY_FUNCTIONS, LIBRARY_VARS } from '../../../src/builtins/functions.js';
import { parseCommand } from '../../../runtime/shell/repl-commands.js';

test('every callable name has a doc; __builtin_x is documented as x', (t) => {
  for (const name of ALL_FUNCTION_NAMES) {
    const doc = functionDoc(name);
    t.truthy(doc, `no doc for ${name}`);
    t.true(doc !== undefined && doc.signature.length > 0 && doc.doc.endsWith('.'), name);
  }
  t.is(functionDoc('__builtin_comm'), FUNCTION_DOCS['comm']);
  // Packet calls are lowered by the packet view, not the library, yet completion and .help know them.
  t.true(ALL_FUNCTION_NAMES.includes('redirect'));
});

test('library records carry their doc; the table names no unknown function', (t) => {
  t.is(LIBRARY_FUNCTIONS.get('strftime')?.doc?.signature, 'strftime(string fmt, uint64 nsecs) -> timestamp');
  // Builtins lowering reads directly (`probe`, `retval`) are named through their __builtin_ aliases.
  const aliased = ALL_FUNCTION_NAMES.filter((n) => n.startsWith('__builtin_')).map((n) => n.slice('__builtin_'.length));
  const known = new Set([...ALL_FUNCTION_NAMES, ...aliased, ...HELPER_VAR_NAMES, ...LIBRARY_VARS.keys()]);
  for (const name of Object.keys(FUNCTION_DOCS)) t.true(known.has(name), `docs for unknown ${name}`);
  // Each signature names its function.
  for (const [name, d] of Object.entries(FUNCTION_DOCS)) t.true(d.signature.startsWith(name), name);
});

test('.help takes a function name (with or without parentheses)', (t) => {
  t.deepEqual(parseCommand('help', 'hist'), { ok: { kind: 'help', topic: 'hist' } });
  t.deepEqual(parseCommand('help', 'printf()'), { ok: { kind: 'help', topic: 'printf' } });
  t.true('error' in parseCommand('help', 'a b'));
});
