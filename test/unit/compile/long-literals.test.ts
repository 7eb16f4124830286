/**
 * String literals longer than max_strlen compile (bpftrace sizes a literal by its text): a long run
 * of one repeated byte used to become an LLVM memset the BPF backend cannot lower.
 */
import test from 'ava';
import { compileScript } from '../../../src/compile.js';

for (const n of [1100, 4000]) {
  test(`a ${n}-byte literal of one repeated character compiles, stored and printed`, async (t) => {
    const lit = 'a'.repeat(n);
    const r = await compileScript({ name: 'stdin', text: `BEGIN { @s = "${lit}"; $t = "x${lit}y"; printf("%s\\n", $t); }` });
    t.false('diagnostics' in r && !('programs' in r), JSON.stringify('diagnostics' in r ? r.diagnostics : []));
    t.true('programs' in r && r.programs.length === 1);
  });
}
