/**
 * The layout's import rules for these files (design: "runtime/output/ imports only
 * runtime/value.ts"; src/common imports nothing).
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);

test('runtime/output imports only runtime/value.ts and its own files', (t) => {
  const dir = join(process.cwd(), 'runtime', 'output');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    for (const spec of importsOf(join(dir, f))) {
      t.true(spec === '../value.js' || /^\.\/[\w-]+\.js$/.test(spec), `${f} imports ${spec}`);
    }
  }
  t.deepEqual(importsOf(join(process.cwd(), 'runtime', 'value.ts')), []);
});

test('src/common/printf-format.ts imports nothing', (t) => {
  t.deepEqual(importsOf(join(process.cwd(), 'src', 'common', 'printf-format.ts')), []);
});
