/**
 * What a side-by-side sweep of bpftrace's one-liners against bpftrace found (docs/compat.md,
 * "One-liner sweep"): the shape of errors and warnings, run for real.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeRun, kernelTest, runTsbpf, scratchDir, startTsbpf } from '../helpers/tsbpf.js';

kernelTest('compile errors are shaped as bpftrace\'s: FILE:L:C1-C2, `^~~` under the span (bpftrace: `~~~`), tabs 4 wide; a span over lines is FILE:L1-L2 and its lines', async (t) => {
  const one = await runTsbpf(['-e', 'BEGIN {\t@ = foo; }']);
  t.is(one.code, 1);
  t.is(one.stderr, "stdin:1:13-16: ERROR: Unknown identifier: 'foo'\nBEGIN {    @ = foo; }\n               ^~~\n");
  const file = join(scratchDir(t), 'multi.bt');
  writeFileSync(file, 'BEGIN {\n\t@x = 1;\n\t@x =\n\t  "a";\n}\n');
  const multi = await runTsbpf([file]);
  t.is(multi.code, 1);
  t.is(multi.stderr.split('\n').slice(0, 3).join('\n'), `${file}:3-4: ERROR: Type mismatch for @x: trying to assign value of type 'string[2]' when map already has a type 'int64'\n\t@x =\n\t  "a";`, describeRun(multi));
  // A point (here the end of the input) still names one column, as bpftrace.
  const eof = await runTsbpf(['-e', 'BEGIN { @x = 1']);
  t.regex(eof.stderr, /^stdin:1:15-16: ERROR: syntax error, unexpected end of input, expecting }\nBEGIN \{ @x = 1\n {14}\n$/);
});

kernelTest('builtins a probe type lacks are refused with bpftrace\'s messages (func, retval, argN, args, unknown identifiers)', async (t) => {
  const cases: [string, string][] = [
    ['tracepoint:syscalls:sys_exit_read { @ = retval; }', "The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'fentry' probes (try to use args.ret instead)"],
    ['BEGIN { @ = retval; }', "The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'fentry' probes"],
    ['t:syscalls:sys_exit_read { @ = arg0; }', "The arg0 builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes"],
    ['profile:hz:99 { @ = func; }', "The func builtin can not be used with 'profile' probes"],
    ['BEGIN { @ = args.x; }', 'The args builtin can only be used with tracepoint, rawtracepoint, fentry/fexit, and uprobe probes (special used here)'],
    ['interval:s:1 { @ = args.x; }', 'The args builtin can only be used with tracepoint, rawtracepoint, fentry/fexit, and uprobe probes (interval used here)'],
    ['BEGIN { @ = foo; }', "Unknown identifier: 'foo'"],
  ];
  for (const [script, message] of cases) {
    const r = await runTsbpf(['-e', script]);
    t.is(r.code, 1, script);
    t.is(r.stderr.split('\n')[0]!.replace(/^stdin:1:\d+-\d+: ERROR: /, ''), message, describeRun(r));
  }
});

kernelTest('argument counts, undefined maps, undeclared variables and variable type mismatches are refused with bpftrace\'s messages', async (t) => {
  const cases: [string, string][] = [
    ['BEGIN { @ = count(1); }', 'count() requires no arguments (1 provided)'],
    ['BEGIN { @ = lhist(1, 2); }', 'lhist() requires 4 arguments (2 provided)'],
    ['BEGIN { print(); }', 'print() requires at least one argument (0 provided)'],
    ['BEGIN { $s = str(); }', 'str() requires at least one argument (0 provided)'],
    ['BEGIN { exit(1, 2); }', 'exit() takes up to one argument (2 provided)'],
    ['BEGIN { @x = $y; }', 'Undefined or undeclared variable: $y'],
    ['BEGIN { print(@nope); }', 'Undefined map: @nope'],
    ['BEGIN { $x = 1; $x = "s"; }', "Type mismatch for $x: trying to assign value of type 'string[2]' when variable already has a type 'int8'"],
  ];
  for (const [script, message] of cases) {
    const r = await runTsbpf(['-e', script]);
    t.is(r.code, 1, script);
    t.is(r.stderr.split('\n')[0]!.replace(/^stdin:1:\d+-\d+: ERROR: /, ''), message, describeRun(r));
  }
});

kernelTest('maps print at exit in bytewise name order, as bpftrace (upper case and _ before lower case), in text and JSON', async (t) => {
  const script = 'BEGIN { @a = 1; @M = 2; @S = 3; @_x = 4; @m = 5; @ = 6; @Z_1 = 7; exit(); }';
  const text = await runTsbpf(['-e', script]);
  t.is(text.code, 0, describeRun(text));
  t.is(text.stdout, '\n\n@: 6\n@M: 2\n@S: 3\n@Z_1: 7\n@_x: 4\n@a: 1\n@m: 5\n');
  const json = await runTsbpf(['-f', 'json', '-e', script]);
  t.deepEqual(json.stdout.split('\n').filter((l) => l.includes('"map"')).map((l) => Object.keys((JSON.parse(l) as { data: object }).data)[0]),
    ['@', '@M', '@S', '@Z_1', '@_x', '@a', '@m']);
});

kernelTest('an aggregation\'s map takes no other writes (@x++, @x += n, @x = v after count()/sum()), as bpftrace; zero() resets it', async (t) => {
  for (const [script, col] of [['BEGIN { @ = count(); @++; }', '22-25'], ['BEGIN { @ = count(); @ += 3; }', '22-28'], ['BEGIN { @s = sum(2); @s = 5; }', '22-28']] as const) {
    const r = await runTsbpf(['-e', script]);
    t.is(r.code, 1, script);
    t.regex(r.stderr.split('\n')[0]!, new RegExp(`^stdin:1:${col}: ERROR: Type mismatch for @s?: trying to assign value of type 'u?int64' when map already has a type '(count|sum)_t'$`), describeRun(r));
  }
  // zero() is carried out by tsbpf after the event, as bpftrace's async zero: the count() after it is lost.
  const ok = await runTsbpf(['-e', 'BEGIN { @c = count(); @c = count(); zero(@c); @c = count(); @n++; @n += 2; exit(); }']);
  t.is(ok.code, 0, describeRun(ok));
  t.is(ok.stdout, '\n\n@c: 0\n@n: 3\n');
});

kernelTest('tracepoints are the ones tracefs\'s available_events names, as bpftrace: ftrace\'s own events (no id to attach by) are not listed or matched', async (t) => {
  const available = readFileSync('/sys/kernel/tracing/available_events', 'utf8').split('\n').filter((l) => l !== '').map((l) => `tracepoint:${l}`).sort();
  const all = await runTsbpf(['-l', 'tracepoint:*']);
  t.is(all.code, 0, describeRun(all));
  t.deepEqual(all.stdout.split('\n').filter((l) => l !== ''), available);
  const ftrace = await runTsbpf(['-l', 'tracepoint:ftrace:*']);
  t.is(ftrace.stdout, '');
  const run = await runTsbpf(['-e', 'tracepoint:ftrace:* { exit(); }']);
  t.is(run.code, 1);
  t.is(run.stderr.split('\n')[0], 'stdin:1:1-20: ERROR: no tracepoint matches ftrace:*');
}, { needs: () => (existsSync('/sys/kernel/tracing/events/ftrace') ? undefined : 'needs tracefs with the ftrace event directory') });

kernelTest('a second SIGINT soon after the first is ignored until the maps are printed, as bpftrace (timeout -s INT signals twice)', async (t) => {
  // Detaching 27 probes and running END take a while: the second signal lands in between.
  const h = startTsbpf(['-e', 'tracepoint:sched:* { @[probe] = count(); } END { printf("end\\n"); }'], { t });
  await h.attached;
  h.signal('SIGINT');
  await new Promise((resolve) => setTimeout(resolve, 20));
  h.signal('SIGINT');
  const r = await h.exited;
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stdout, /^end\n\n\n(@\[tracepoint:sched:\w+\]: \d+\n)+$/, describeRun(r));
});

kernelTest('reading a `let $x;` variable before anything assigns it warns as bpftrace (and reads 0); an assignment, ++ or &$x before the read does not', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { let $x; print($x); $x = 2; print($x); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stderr.split('\n').slice(0, 3).join('\n'), 'stdin:1:23-25: WARNING: Variable used before it was assigned: $x\nBEGIN { let $x; print($x); $x = 2; print($x); exit(); }\n                      ^~');
  t.is(r.stdout, '0\n2\n\n\n');
  const quiet = await runTsbpf(['-e', 'BEGIN { let $a; let $b; let $c: uint32; $a = 1; $b++; $p = &$c; print(($a, $b, $c)); exit(); }']);
  t.is(quiet.code, 0, describeRun(quiet));
  t.notRegex(quiet.stderr, /WARNING/);
  t.is(quiet.stdout, '(1, 1, 0)\n\n\n');
});
