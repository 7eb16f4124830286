import test from 'ava';
import { at, parseErr, parseOk, sx } from './util.js';

const EXAMPLES = [
  'BEGIN',
  'END',
  'begin',
  'end',
  'tracepoint:syscalls:sys_enter_openat',
  't:syscalls:sys_enter_open*',
  't:sched:sched*',
  'kprobe:do_sys_open+16',
  'kprobe:mod:fn',
  'kprobe:tcp_*',
  'kprobe:0xffffffff81234567',
  'kretprobe:vfs_read',
  'uprobe:/bin/bash:readline',
  'uprobe:./a.out:func+8',
  'uprobe:./a.out:0x1234',
  'uprobe:/bin/bash@readline.c:362',
  'uprobe:libssl.so.3:SSL_write',
  'uprobe:*:malloc',
  'uprobe:/lib/libc.so.6:str*',
  'u:libc:malloc',
  'uretprobe:/bin/bash:readline',
  'usdt:/usr/bin/python3:function__entry',
  'usdt:/path:ns:probe',
  'usdt:*:*',
  'interval:s:1',
  'interval:1s',
  'i:ms:100',
  'interval:hz:2',
  'profile:hz:99',
  'profile:1000000',
  'software:cpu-clock:1000000',
  's:cpu-clock:1000000',
  'hardware:cache-misses:1e6',
  'watchpoint:0x10000000:8:rw',
  'uprobe:$1:readline',
  'tracepoint:syscalls:$1',
  'uprobe:./app:cpp:"NS::C::f"',
  'uprobe:./app:cpp:"ns::f(int, char)"',
  'rawtracepoint:sched_switch',
  'rt:vmlinux:kfree_skb',
  'fentry:vmlinux:tcp_reset',
  'fexit:fget',
  'iter:task',
  'iter:task_file:/sys/fs/bpf/files',
  'self:signal:SIGUSR1',
  'test:okay',
];

test('a named probe (NAME=provider:...): the name is kept apart from the attach point (not when nothing follows the =), the span covers both', (t) => {
  const p = parseOk(t, 'myname=kprobe:foo, other=BEGIN, x=:y { @x = 1; }');
  const aps = p.probes[0]!.attachPoints;
  t.deepEqual(aps.map((a) => [a.userName, a.raw]), [['myname', 'kprobe:foo'], ['other', 'BEGIN'], [undefined, 'x=:y']]);
  t.deepEqual(aps[0]!.span, { start: 0, end: 'myname=kprobe:foo'.length });
});

for (const raw of EXAMPLES) {
  test(`attach point ${raw} (braces)`, (t) => {
    const text = `${raw} { @x = 1; }`;
    const p = parseOk(t, text);
    const ap = p.probes[0]!.attachPoints;
    t.is(ap.length, 1);
    t.is(ap[0]!.kind, 'AttachPoint');
    t.is(ap[0]!.raw, raw);
    t.deepEqual(ap[0]!.span, { start: 0, end: raw.length });
  });

  test(`attach point ${raw} (predicate, angles)`, (t) => {
    const text = `${raw} /pid == 1/ < @x = 1 >`;
    const p = parseOk(t, text);
    t.is(p.probes[0]!.attachPoints[0]!.raw, raw);
    t.is(sx(p.probes[0]!.predicate), '(== pid 1)');
    t.is(p.probes[0]!.form, 'angles');
  });

  test(`attach point ${raw} (no space before the body)`, (t) => {
    const p = parseOk(t, `${raw}{ @x = 1; }`);
    t.is(p.probes[0]!.attachPoints[0]!.raw, raw);
  });
}

test('several attach points', (t) => {
  const text = 'tracepoint:syscalls:sys_enter_open, tracepoint:syscalls:sys_enter_openat,\n  kprobe:f { @[probe] = count(); }';
  const p = parseOk(t, text);
  const aps = p.probes[0]!.attachPoints;
  t.deepEqual(
    aps.map((a) => a.raw),
    ['tracepoint:syscalls:sys_enter_open', 'tracepoint:syscalls:sys_enter_openat', 'kprobe:f'],
  );
  t.is(aps[2]!.span.start, at(text, 'kprobe:f'));
});

test('several attach points without spaces, and a trailing comma', (t) => {
  const p = parseOk(t, 'BEGIN,END, { }');
  t.deepEqual(
    p.probes[0]!.attachPoints.map((a) => a.raw),
    ['BEGIN', 'END'],
  );
});

test('predicates', (t) => {
  const p = parseOk(t, 'tracepoint:a:b /pid == 42 && comm != "bash"/ { }');
  t.is(sx(p.probes[0]!.predicate), '(&& (== pid 42) (!= comm "bash"))');
  t.is(parseOk(t, 'BEGIN { }').probes[0]!.predicate, undefined);
});

test('predicate without spaces after a path', (t) => {
  const p = parseOk(t, 'uprobe:/bin/bash:readline /pid/{ }');
  t.is(p.probes[0]!.attachPoints[0]!.raw, 'uprobe:/bin/bash:readline');
  t.is(sx(p.probes[0]!.predicate), 'pid');
});

test('predicate right after a colon-less attach point', (t) => {
  const p = parseOk(t, 'BEGIN/1/{ }');
  t.is(sx(p.probes[0]!.predicate), '1');
});

test('division inside a predicate', (t) => {
  const p = parseOk(t, 'kprobe:f /pid / 2 == 0/ { }');
  t.is(sx(p.probes[0]!.predicate), '(== (/ pid 2) 0)');
  const q = parseOk(t, 'kprobe:f /(pid / 2) == 0/ { }');
  t.is(sx(q.probes[0]!.predicate), '(== (/ pid 2) 0)');
  const r = parseOk(t, 'kprobe:f /nsecs / 1000 > 5 / < @x = 1 >');
  t.is(sx(r.probes[0]!.predicate), '(> (/ nsecs 1000) 5)');
});

test('predicate with comments before the body', (t) => {
  const p = parseOk(t, 'kprobe:f /pid/ /* c */ // d\n { }');
  t.is(sx(p.probes[0]!.predicate), 'pid');
});

test('predicate span', (t) => {
  const text = 'BEGIN /pid > 1/ { }';
  const p = parseOk(t, text);
  t.deepEqual(p.probes[0]!.predicate!.span, { start: at(text, 'pid'), end: at(text, '/', 1) });
});

test('attach point text after a preprocessor line and a map declaration', (t) => {
  const p = parseOk(t, '#include <x.h>\nkprobe:f { }\nlet @m = hash(2)\nkprobe:g { }');
  t.deepEqual(
    p.probes.map((x) => x.attachPoints[0]!.raw),
    ['kprobe:f', 'kprobe:g'],
  );
});

test('two attach points without a comma are an error', (t) => {
  const text = 'BEGIN END { }';
  const d = parseErr(t, text);
  t.is(d[0]!.code, 'syntax-error');
  t.is(d[0]!.span!.start, at(text, 'END'));
});
