/**
 * A statement's temporaries are free again after it (src/codegen/bpf-builder.ts beginTemps), so
 * the stack of a probe does not grow with its statements: these compile within LLVM's 512-byte
 * BPF stack check (the kernel test test/e2e/stack-reuse.test.ts loads and runs them).
 */
import test from 'ava';
import { compileScript } from '../../../src/compile.js';

async function compiles(text: string): Promise<string> {
  const r = await compileScript({ name: 'test', text });
  return 'format' in r ? 'ok' : r.diagnostics.map((d) => `${d.code}: ${d.message}`).join('\n');
}

test('1000 printf statements with arguments in one probe', async (t) => {
  const stmts = Array.from({ length: 1000 }, (_, i) => `printf("%d %d %s\\n", ${i}, pid, "x");`).join(' ');
  t.is(await compiles(`BEGIN { ${stmts} }`), 'ok');
});

test('1000 map assignments and keyed counts in one probe', async (t) => {
  const stmts = Array.from({ length: 500 }, (_, i) => `@a = ${i}; @b[${i}, "k"] = count();`).join(' ');
  t.is(await compiles(`BEGIN { ${stmts} }`), 'ok');
});

test('the stack still has a limit: twenty live 32-byte string variables exceed it', async (t) => {
  const vars = Array.from({ length: 20 }, (_, i) => `$v${i} = str(${i}, 31);`).join(' ');
  const uses = Array.from({ length: 20 }, (_, i) => `@m${i}[$v${i}] = 1;`).join(' ');
  t.regex(await compiles(`BEGIN { ${vars} ${uses} }`), /bpf-stack-limit/);
});
