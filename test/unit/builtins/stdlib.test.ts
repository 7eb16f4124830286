/**
 * Compile-time parts of the newer stdlib functions: str() sizes, the name tables, and the
 * diagnostics of fail/static_assert/assert_str and of wrong uses (no kernel needed: BEGIN probes).
 */
import test from 'ava';
import { compileFrontend } from '../../../src/compile.js';
import { strSizes } from '../../../src/builtins/str-size.js';
import { ERRNO_TEXTS, SIGNAL_TEXTS, SYSCALL_NAMES_X86_64 } from '../../../src/builtins/name-tables.js';

function errs(text: string): string[] {
  return compileFrontend({ name: 'test', text }).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`);
}

test('str() sizes follow bpftrace: n-1 characters for str(p, n), one padding byte below 1024 to see truncation', (t) => {
  t.deepEqual(strSizes(1024, undefined), { size: 1024, read: 1024 });
  t.deepEqual(strSizes(5, undefined), { size: 5, read: 6 });
  t.deepEqual(strSizes(1024, 5), { size: 6, read: 5 });
  t.deepEqual(strSizes(5, 5), { size: 5, read: 5 });
  t.deepEqual(strSizes(5, 10), { size: 5, read: 6 });
  t.deepEqual(strSizes(2048, 4000), { size: 2048, read: 2048 });
  t.deepEqual(strSizes(64, 0), { size: 1, read: 1 });
});

test('name tables: numbers as the kernel and glibc name them', (t) => {
  t.is(ERRNO_TEXTS[1], 'Operation not permitted');
  t.is(ERRNO_TEXTS[11], 'Try again (operation would block)');
  t.is(ERRNO_TEXTS[133], 'Memory page has hardware error');
  t.is(SIGNAL_TEXTS.length, 65);
  t.is(SIGNAL_TEXTS[15], 'Terminated');
  t.is(SYSCALL_NAMES_X86_64[0], 'read');
  t.is(SYSCALL_NAMES_X86_64[59], 'execve');
  t.is(SYSCALL_NAMES_X86_64[435], 'clone3');
  t.is(SYSCALL_NAMES_X86_64[462], 'mseal');
  t.is(SYSCALL_NAMES_X86_64[512], 'rt_sigaction');
  t.is(SYSCALL_NAMES_X86_64[300], 'fanotify_init');
});

test('fail() is an error where it is lowered, not in a branch a constant condition skips', (t) => {
  t.deepEqual(errs('BEGIN { fail("need %d, got %s (%x)", 2, "one", 255); }'), ['fail: need 2, got one (ff)']);
  t.deepEqual(errs('BEGIN { if (1 < 2) { printf("ok\\n"); } else { fail("never"); } }'), []);
  t.deepEqual(errs('BEGIN { if (0) { fail("never"); } }'), []);
  t.deepEqual(errs('BEGIN { $x = 1; fail("x is %d", $x); }'), ['not-constant: fail() arguments must be literals']);
});

test('static_assert and assert_str check at compile time', (t) => {
  t.deepEqual(errs('BEGIN { static_assert(is_str("a") && is_integer(1), "x"); static_assert(sizeof(int32) == 4, "y"); }'), []);
  t.deepEqual(errs('BEGIN { static_assert(is_ptr(1), "not a pointer"); }'), ['static-assert: not a pointer']);
  t.deepEqual(errs('BEGIN { $x = pid; static_assert($x == 1, "m"); }'), ['not-constant: static_assert() needs a condition known at compile time']);
  t.deepEqual(errs('BEGIN { assert_str("a"); assert_str(comm); }'), []);
  t.deepEqual(errs('BEGIN { assert_str(1); }'), ['fail: string-like values must be either strings, arrays or pointers']);
});

test('wrong uses of the newer functions are located errors', (t) => {
  t.deepEqual(errs('BEGIN { $i = strstr("abc", pid); }'), ['type-mismatch: strstr() needs a string needle, got uint32']);
  t.deepEqual(errs('BEGIN { $i = memcmp("ab", "abc", 4); }'), ['invalid-argument: memcmp() count 4 is larger than its operands (3 and 4 bytes)']);
  t.deepEqual(errs('BEGIN { $s = strerror("x"); }'), ['type-mismatch: strerror() needs an integer, got string[2]']);
  t.deepEqual(errs('BEGIN { $p = pid(host); }'), ['invalid-argument: pid() takes a PID namespace: curr_ns or init']);
  t.deepEqual(errs('BEGIN { @s = 1; $v = 0; $f = find(@s, 1, $v); }'), ['invalid-argument: call to find expects a map with explicit keys (non-scalar map)']);
  t.deepEqual(errs('BEGIN { $k = kfunc_exist(comm); }'), ['fail: kfunc_exist() accepts a string literal only']);
  t.deepEqual(errs('BEGIN { debugf("%d %d %d %d\\n", 1, 2, 3, 4); }'), ['wrong-argument-count: debugf() takes up to 4 arguments (5 provided)']);
});
