/**
 * docs/architecture.md stays true to the tree: every backticked repository path it names
 * (`src/...`, `runtime/...`, `native/...`, `test/...`, `grammar/...`, `docs/...`) exists, and
 * every runtime/ room and every pass of PIPELINE is described.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE } from '../../../src/compile.js';

const ROOT = process.cwd();
const DOC = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');

/** Backticked spans that look like paths in the repository; a `<name>` placeholder is not a path. */
function namedPaths(text: string): string[] {
  const paths = new Set<string>();
  for (const m of text.matchAll(/`([^`\s]+)`/g)) {
    const p = m[1]!.replace(/[.,:;]$/, '');
    if (/^(src|runtime|native|test|grammar|docs|scripts|bin)\//.test(p) && !p.includes('<') && !p.includes('*')) paths.add(p);
  }
  return [...paths];
}

test('every path docs/architecture.md names exists', (t) => {
  const paths = namedPaths(DOC);
  t.true(paths.length > 40, `found only ${paths.length} paths`);
  for (const p of paths) t.true(existsSync(join(ROOT, p)), `docs/architecture.md names ${p}, which does not exist`);
});

test('docs/architecture.md describes every runtime/ room and every pass of the pipeline', (t) => {
  const rooms = readdirSync(join(ROOT, 'runtime')).filter((n) => statSync(join(ROOT, 'runtime', n)).isDirectory());
  t.true(rooms.length > 0);
  for (const room of rooms) t.true(DOC.includes(`\`runtime/${room}/\``), `runtime/${room}/ is not described`);
  for (const pass of PIPELINE) t.true(DOC.includes(`| \`${pass.name}\` |`), `pass ${pass.name} is not in the pipeline table`);
});
