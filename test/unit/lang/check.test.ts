/**
 * Type-checker tests: scripts that must compile (to IR, no kernel needed: BEGIN/END probes only)
 * and scripts that must fail with given diagnostic codes at given places. Assertions are on
 * codes, spans and hints, never on rendered message text.
 */
import test, { type ExecutionContext } from 'ava';
import type { Diagnostic } from '../../../src/common/diagnostic.js';
import { renderDiagnostics } from '../../../src/common/render.js';
import { compileFrontend } from '../../../src/compile.js';

function check(text: string): readonly Diagnostic[] {
  return compileFrontend({ name: 'test', text }).diagnostics.filter((d) => d.severity === 'error');
}

function ok(t: ExecutionContext, text: string): void {
  const errors = check(text);
  t.deepEqual(errors, [], renderDiagnostics(errors, { name: 'test', text }));
}

/** The errors' codes, each with the source text its span covers. */
function errs(text: string): string[] {
  return check(text).map((d) => `${d.code}@${d.span ? text.slice(d.span.start, d.span.end) : ''}`);
}

// ------------------------------------------------------------------------------ valid programs

const VALID: Record<string, string> = {
  operators: 'BEGIN { $a = 1 + 2 * 3 - 4 / 2 % 3; $b = ($a & 1) | ($a ^ 2) << 1 >> 1; $c = !$a || ~$b && -$a < 0; $d = $a ? $b : $c; $e = $a ?: 2; }',
  compound: 'BEGIN { $x = 1; $x += 1; $x -= 1; $x *= 2; $x /= 2; $x %= 2; $x &= 1; $x |= 1; $x ^= 1; $x <<= 1; $x >>= 1; @m += 1; @m -= 1; @m *= 2; @m = @m + 1; @n++; --@n; }',
  increments: 'BEGIN { $i = 0; $j = $i++ + ++$i - $i-- - --$i; @c = 1; $k = @c++; }',
  casts: 'BEGIN { $a = (uint8)1; $b = (int16)$a; $c = (uint32)-1; $d = (int64)$c; $e = (bool)5; $f = (pid_t)1; $g = (unsigned long)2; }',
  strings: 'BEGIN { $s = "a\\tb\\x41\\n"; $t = $s == "x" ? "y" : "zz"; $u = comm != "init"; $v = str($1, 4); }',
  tuples: 'BEGIN { $t = (1, "a", (2, 3)); $a = $t.0; $b = $t.1; $c = $t.2.1; $d = $t[2]; @m[1, "x"] = (1, 2); @n[(1, "y")] = 1; $e = @n[1, "y"]; }',
  loops: 'BEGIN { $i = 0; while ($i < 3) { $i++; if ($i == 1) { continue; } break; } for ($j : 0..10) { if ($j > 2) { break; } } unroll(3) { $i++; } }',
  let: 'BEGIN { let $a; let $b = 2; let $c: uint16 = 3; let $s: string; $a = $b + $c; }',
  scoping: 'BEGIN { if (1) { $a = 1; } if (1) { $a = "str"; } { $b = 1; } $b = "x"; }',
  structs: 'struct Foo { int a; char name[8]; struct Foo *next; } BEGIN { $p = (struct Foo *)0; $a = $p->a; $n = $p->next->name; $x = sizeof(struct Foo) + offsetof(struct Foo, next); }',
  kernelStructs: '#include <linux/sched.h>\nBEGIN { $p = curtask->parent->pid; $c = curtask->comm; $t = ((struct task_struct *)curtask)->mm; $s = sizeof(struct task_struct); $o = offsetof(struct task_struct, comm); $d = (*curtask).pid; }',
  macros: 'macro one() { 1 } macro add(x, y) { x + y } macro inc($v, @m) { $v++; @m++; } BEGIN { $a = one + one() + add(1, 2); inc($a, @c); }',
  config: 'config = { max_map_keys = 10; BPFTRACE_MAX_STRLEN = 32; stack_mode = perf } BEGIN { @x[1] = str($1); }',
  positional: 'BEGIN { $a = $1; $n = $#; }',
  comments: '// line\nBEGIN { /* block */ $a = 1; // trailing\n }',
  multipleProbes: 'BEGIN, END { @x = 1; } END { @x = 2; }',
  angles: 'BEGIN < $a = 1; @x[$a] = $a > 0 ? 1 : 2 >',
};

for (const [name, text] of Object.entries(VALID)) test(`valid: ${name}`, (t) => ok(t, text));

// ------------------------------------------------------------------------------ errors

test('undefined variable, with a did-you-mean hint', (t) => {
  const text = 'BEGIN { $count = 1; $x = $cuont + 1; }';
  const d = check(text);
  t.deepEqual(errs(text), ['undefined-variable@$cuont']);
  t.deepEqual(d[0]!.hints, ['did you mean $count?']);
});

test('a variable is not visible outside the block that assigned it', (t) => {
  t.deepEqual(errs('BEGIN { if (1) { $a = 1; } $b = $a; }'), ['undefined-variable@$a']);
  t.deepEqual(errs('BEGIN { for ($i : 0..3) { } $b = $i; }'), ['undefined-variable@$i']);
});

test('a variable keeps its type', (t) => {
  t.deepEqual(errs('BEGIN { $a = 1; $a = "s"; }'), ['variable-type-mismatch@$a = "s"']);
});

test('a map keeps one key type and one value type across probes', (t) => {
  t.deepEqual(errs('BEGIN { @m[1] = 1; } END { @m["a"] = 2; }'), ['map-key-mismatch@@m["a"]']);
  t.deepEqual(errs('BEGIN { @m = 1; } END { @m = "s"; }'), ['map-type-mismatch@@m = "s"']);
  t.deepEqual(errs('BEGIN { @m = count(); } END { @m = "s"; }'), ['map-type-mismatch@@m = "s"']);
});

test('unknown struct fields have a caret on the field and a hint', (t) => {
  const text = 'BEGIN { $p = curtask->parnt; }';
  t.deepEqual(errs(text), ['unknown-field@parnt']);
  t.deepEqual(check(text)[0]!.hints, ['did you mean parent?']);
  t.deepEqual(errs('struct Foo { int a; } BEGIN { $x = offsetof(struct Foo, b); }'), ['unknown-field@offsetof(struct Foo, b)']);
});

test('unknown types in casts and sizeof', (t) => {
  const text = 'BEGIN { $p = (struct task_strct *)0; }';
  t.deepEqual(errs(text), ['unknown-type@struct task_strct *']);
  t.deepEqual(check(text)[0]!.hints, ['did you mean struct task_struct?']);
  t.deepEqual(errs('BEGIN { $s = sizeof(struct nope_nope); }'), ['unknown-type@struct nope_nope']);
});

test('field access on a non-struct', (t) => {
  t.deepEqual(errs('BEGIN { $p = curtask->pid->x; }'), ['not-a-struct@x']);
});

test('args and retval where the probe has none', (t) => {
  t.deepEqual(errs('BEGIN { $a = args.x; }'), ['no-args@args']);
  t.deepEqual(errs('BEGIN { $a = retval; }'), ['no-such-builtin@retval']);
});

test('break and continue outside a loop; unroll count', (t) => {
  t.deepEqual(errs('BEGIN { break; }'), ['jump-outside-loop@break']);
  t.deepEqual(errs('BEGIN { if (1) { continue; } }'), ['jump-outside-loop@continue']);
  t.deepEqual(errs('BEGIN { unroll(0) { } }'), ['invalid-argument@0']);
  t.deepEqual(errs('BEGIN { unroll(101) { } }'), ['invalid-argument@101']);
});

test('ternary branches must have one type', (t) => {
  t.deepEqual(errs('BEGIN { $a = 1 ? 1 : "s"; }'), ['type-mismatch@1 ? 1 : "s"']);
});

test('tuple index out of range', (t) => {
  t.deepEqual(errs('BEGIN { $t = (1, 2); $x = $t.2; }'), ['index-out-of-range@$t.2']);
});

test('macro argument count, kinds and hygiene', (t) => {
  t.deepEqual(errs('macro add(x, y) { x + y } BEGIN { $a = add(1); }'), ['wrong-argument-count@add(1)']);
  t.deepEqual(errs('macro inc($v) { $v++ } BEGIN { @x = 1; inc(@x); }'), ['macro-argument-mismatch@@x']);
  t.deepEqual(errs('macro bad() { @x++ } BEGIN { bad(); }'), ['macro-map-not-passed@@x']);
  t.deepEqual(errs('macro peek() { $a } BEGIN { $a = 1; $b = peek(); }'), ['undefined-variable@$a']);
});

test('config block: unknown variables (with a hint) and bad values', (t) => {
  const text = 'config = { max_map_key = 2 } BEGIN { }';
  t.deepEqual(errs(text), ['unknown-config@max_map_key = 2']);
  t.deepEqual(check(text)[0]!.hints, ['did you mean max_map_keys?']);
  t.deepEqual(errs('config = { max_strlen = 100000 } BEGIN { }'), ['invalid-config@100000']);
  // tsbpf's own: the Prometheus export's bound on keys per map.
  t.deepEqual(errs('config = { export_max_series = 0 } BEGIN { }'), ['invalid-config@0']);
  t.deepEqual(errs('config = { export_max_series = 50 } BEGIN { }'), []);
  // on_stack_limit: any number of bytes, 0 included (every blob in the scratch map).
  t.deepEqual(errs('config = { on_stack_limit = lots } BEGIN { }'), ['invalid-config@lots']);
  t.deepEqual(errs('config = { on_stack_limit = 0 } BEGIN { }'), []);
});

test('several errors are reported at once, each at its place', (t) => {
  t.deepEqual(errs('BEGIN { $a = $nope; $b = curtask->nofield; break; }'), ['undefined-variable@$nope', 'unknown-field@nofield', 'jump-outside-loop@break']);
});
