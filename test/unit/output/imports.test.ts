/**
 * The layout's import rules, read from the import statements (static and dynamic) of the files:
 *   - runtime/ uses the compiler side only through src/contract/index.ts and src/index.ts;
 *   - src/contract/ imports nothing outside itself;
 *   - src/index.ts loads no heavy module eagerly (parser, passes, every provider, LLVM);
 *   - runtime/output/ imports nothing from runtime/ outside itself, its renderers only their own
 *     files, and runtime/output/value.ts only the contract;
 *   - runtime/'s rooms import one way: cli -> shell -> session -> compile, output; export -> output
 *     (api, like cli, on top).
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = process.cwd();

interface Import {
  readonly spec: string;
  /** `import type` / `export type`: erased, loads nothing. */
  readonly typeOnly: boolean;
  /** `import('...')`: loaded when the code runs, not with the module. */
  readonly dynamic: boolean;
}

/** Every import/export-from specifier and dynamic import() of a file. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  for (const m of text.matchAll(/^(import|export)(\s+type\b)?[^;]*?from\s+'([^']+)'/gms)) found.push({ spec: m[3]!, typeOnly: m[2] !== undefined, dynamic: false });
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) found.push({ spec: m[1]!, typeOnly: false, dynamic: false });
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push({ spec: m[1]!, typeOnly: false, dynamic: true });
  return found;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return n.endsWith('.ts') ? [p] : [];
  });
}

/** The repository path a relative specifier names, as its .ts source (`src/contract/index.ts`). */
function target(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return relative(ROOT, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
}

/** Contract modules kept out of src/contract/index.ts because they load something heavy (node:crypto), imported only where needed. */
const LAZY_CONTRACT = ['src/contract/content-hash.ts'];

test('runtime/ imports the compiler side only through src/contract/index.ts and src/index.ts', (t) => {
  const files = tsFiles(join(ROOT, 'runtime'));
  t.true(files.length > 10);
  for (const file of files) {
    for (const { spec } of importsOf(file)) {
      const to = target(file, spec);
      if (to === undefined || !to.startsWith('src/')) continue;
      t.true(to === 'src/contract/index.ts' || to === 'src/index.ts' || LAZY_CONTRACT.includes(to), `${relative(ROOT, file)} imports ${spec}`);
    }
  }
});

test('src/contract/ imports nothing outside itself', (t) => {
  const files = tsFiles(join(ROOT, 'src', 'contract'));
  t.true(files.some((f) => f.endsWith('index.ts')));
  for (const file of files) {
    for (const { spec } of importsOf(file)) {
      // A lazily imported contract module may use node's own modules (hashing, file reads).
      if (LAZY_CONTRACT.includes(relative(ROOT, file)) && spec.startsWith('node:')) continue;
      t.regex(spec, /^\.\/[\w-]+\.js$/, `${relative(ROOT, file)} imports ${spec}`);
    }
  }
});

test('src/index.ts loads no heavy module eagerly', (t) => {
  const file = join(ROOT, 'src', 'index.ts');
  const light = new Set(['./common/render.js', './kernel/tracefs.js', './kernel/elf.js', './providers/provider.js', './providers/loaders.js']);
  const eager = importsOf(file).filter((i) => !i.typeOnly && !i.dynamic);
  t.true(eager.length > 0);
  for (const { spec } of eager) t.true(light.has(spec), `src/index.ts loads ${spec} eagerly`);
});

test('runtime/output imports nothing from runtime/ outside itself; the renderers only their own files; value.ts only the contract', (t) => {
  const dir = join(ROOT, 'runtime', 'output');
  const renderers = ['format-map.ts', 'index.ts', 'json.ts', 'output.ts', 'text.ts', 'tseries.ts'];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    for (const { spec } of importsOf(join(dir, f))) {
      if (renderers.includes(f)) t.regex(spec, /^\.\/[\w-]+\.js$/, `${f} imports ${spec}`);
      const to = target(join(dir, f), spec);
      if (to !== undefined && to.startsWith('runtime/')) t.true(to.startsWith('runtime/output/'), `${f} imports ${spec}`);
    }
  }
  t.deepEqual(importsOf(join(ROOT, 'runtime', 'output', 'value.ts')).map((i) => i.spec), ['../../src/contract/index.js']);
});

/**
 * The runtime's rooms and the rooms each may import: data flows one way, cli -> shell -> session ->
 * compile/output; the Prometheus export (export/) reads maps through a function it is given, so it
 * knows only the value model; api (the package's export) sits on top next to cli.
 */
const ROOMS: Record<string, readonly string[]> = {
  api: ['api', 'session', 'compile', 'output'],
  shell: ['shell', 'session', 'compile', 'output', 'export'],
  export: ['export', 'output'],
  session: ['session', 'compile', 'output'],
  compile: ['compile'],
  output: ['output'],
  top: ['top', 'session', 'output'],
};

test('runtime/ rooms import one way: cli -> shell -> session -> compile, output; cli -> top -> session', (t) => {
  t.deepEqual(
    readdirSync(join(ROOT, 'runtime')).filter((n) => statSync(join(ROOT, 'runtime', n)).isDirectory()).sort(),
    Object.keys(ROOMS).sort(),
  );
  for (const [room, allowed] of Object.entries(ROOMS)) {
    for (const file of tsFiles(join(ROOT, 'runtime', room))) {
      for (const { spec } of importsOf(file)) {
        const to = target(file, spec);
        if (to === undefined || !to.startsWith('runtime/')) continue;
        const toRoom = to.split('/')[1]!;
        t.true(allowed.includes(toRoom), `${relative(ROOT, file)} (${room}) imports ${spec}`);
      }
    }
  }
});

test('BPF helper ids and map types are declared once, in src/contract/uapi.ts', (t) => {
  for (const file of tsFiles(join(ROOT, 'src'))) {
    if (file.endsWith(join('contract', 'uapi.ts'))) continue;
    const text = readFileSync(file, 'utf8');
    const where = relative(ROOT, file);
    t.notRegex(text, /\bhelper:\s*\d/, `${where} calls a helper by a number`);
    t.notRegex(text, /\bbpfType:\s*\d/, `${where} names a map type by a number`);
    t.notRegex(text, /\b(Helper|MapType|ProgType|AttachType)\s*=\s*\{/, `${where} declares a uapi table`);
  }
});
