/**
 * `import { trace, compile } from 'tsbpf'` resolves through package.json "exports" (a package may
 * import itself by name), to the API module, whose declarations ship next to it.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = process.cwd();
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  types: string;
  exports: { '.': { types: string; import: string } };
};

test("import('tsbpf') resolves through package.json exports to the API", async (t) => {
  t.is(pkg.name, 'tsbpf');
  t.is(import.meta.resolve('tsbpf'), pathToFileURL(join(ROOT, pkg.exports['.'].import)).href);
  const api = await import('tsbpf');
  t.deepEqual(Object.keys(api).sort(), ['AttachError', 'DiagnosticError', 'InternalCompilerError', 'Trace', 'TsbpfError', 'VerifierError', 'compile', 'trace']);
  t.is(typeof api.trace, 'function');
  t.is(typeof api.compile, 'function');
  t.true(new api.DiagnosticError('x', []) instanceof api.TsbpfError);
});

test('the declarations package.json names exist and declare the API', (t) => {
  t.is(pkg.types, pkg.exports['.'].types);
  const dts = join(ROOT, pkg.exports['.'].types);
  t.true(existsSync(dts), `${dts} is missing`);
  const text = readFileSync(dts, 'utf8');
  for (const name of ['trace', 'compile', 'TraceOptions', 'CompileResult', 'DiagnosticError', 'VerifierError', 'AttachError']) t.regex(text, new RegExp(`\\b${name}\\b`), `${name} is not declared`);
  t.regex(text, /export type \* from '\.\/types\.js'/);
  for (const name of ['TraceEvent', 'MapsSnapshot', 'HistogramBucket']) t.regex(readFileSync(join(ROOT, 'dist/runtime/api/types.d.ts'), 'utf8'), new RegExp(`export (type|interface) ${name}\\b`));
});
