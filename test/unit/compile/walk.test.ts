/**
 * The AST walker (src/ast/walk.ts): its child-key table reaches every node the parser builds, a
 * visit sees each once, and a rewrite builds a new tree without touching the old one.
 */
import test from 'ava';
import type { Node, Program } from '../../../src/ast/nodes.js';
import { printAst } from '../../../src/ast/printer.js';
import { rewrite, visit } from '../../../src/ast/walk.js';
import { parse } from '../../../src/syntax/index.js';

const SCRIPT = `
#define LIMIT 3
struct Foo { int a; char b[8]; }
config = { max_map_keys = 100 }
macro twice(x) { x * 2 }
let @h = lruhash(10);
BEGIN { let $t: uint16 = 1; @h[1, "a"] = twice($t); }
interval:s:1 /@h[1, "a"] > 0 && !($1 == 2)/ {
  if ($x == 1) { $x++; } else if ($x) { $x--; } else { $y = (1, "x").0; }
  while ($i < 3) { $i += 1; if ($i == 2) { break; } }
  unroll(2) { @c = count(); }
  for ($kv : @h) { print($kv.0); }
  for ($j : 0..LIMIT) { @s = sum($j); }
  $r = (a = 1, b = "x");
  $z = sizeof(struct Foo) + offsetof(struct Foo, a) + sizeof($x);
  $p = (struct Foo *)0;
  $q = $p->a ? $p->b[0] : -1;
  $blk = { let $w = 1; $w + $# };
  let $tt: typeof($x) = 1;
  return;
}
`;

function program(): Program {
  const r = parse({ name: 'test', text: SCRIPT });
  if (!r.program) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.program;
}

/** Every AST node reachable through any property (the walker must not miss one). */
function everyNode(n: unknown, out: Node[] = []): Node[] {
  if (Array.isArray(n)) for (const x of n) everyNode(x, out);
  else if (n !== null && typeof n === 'object') {
    if (typeof (n as { kind?: unknown }).kind === 'string') out.push(n as Node);
    for (const v of Object.values(n)) everyNode(v, out);
  }
  return out;
}

test('visit reaches every node of every kind the parser built, each once', (t) => {
  const p = program();
  const seen: Node[] = [];
  visit(p, new Proxy({}, { get: () => (node: Node, children: () => void) => { seen.push(node); children(); } }));
  const all = everyNode(p);
  t.is(seen.length, all.length);
  t.deepEqual(new Set(seen), new Set(all));
  // The script uses most kinds; a missing child key would show up as a missed kind here.
  t.true(new Set(all.map((n) => n.kind)).size >= 35, [...new Set(all.map((n) => n.kind))].join(' '));
});

test('a handler that does not walk its children stops the descent', (t) => {
  let calls = 0;
  let probes = 0;
  visit(program(), { Probe: () => { probes++; }, Call: () => { calls++; } });
  // Both probes are seen, the calls inside them never; the macro body's `x * 2` has none.
  t.is(probes, 2);
  t.is(calls, 0);
  visit(program(), { Call: (_c, children) => { calls++; children(); } });
  // twice(), count(), print(), sum().
  t.is(calls, 4);
});

test('rewrite replaces only the kinds it handles and leaves the input alone', (t) => {
  const p = program();
  const before = printAst(p);
  const renamed = rewrite(p, { Variable: (v) => ({ ...v, name: v.name.toUpperCase() }) });
  t.is(printAst(p), before);
  t.not(renamed, p);
  t.true(printAst(renamed).includes('Variable name="$X"'));
  t.false(printAst(renamed).includes('Variable name="$x"'));
  // Everything but the variable names is the same tree.
  t.is(printAst(renamed).replace(/Variable name="([^"]*)"/g, (_m, n: string) => `Variable name="${n.toLowerCase()}"`), before);
});
