/**
 * bpftrace's command line, probe forms and config variables (docs/compat.md sections "Probe types
 * and attach-point forms", "CLI flags and environment", "Config variables"), run for real.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProbeTarget, whyNoProbeTarget } from '../helpers/probe-target.js';
import { AS_NOBODY, describeRun, exec, haveSetpriv, kernelTest, NOTIFY_VAR, REPO_ROOT, runTsbpf, scratchDir, TSBPF_BIN } from '../helpers/tsbpf.js';
import { kernelBtfFuncs } from '../../src/kernel/btf-funcs.js';
import { kernelHasKprobes } from '../../src/kernel/tracefs.js';

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
/** stderr without the notify line the helpers ask for. */
const errLines = (s: string): string[] => lines(s).filter((l) => l !== NOTIFY_VAR);

function userTest(title: string, impl: Parameters<typeof kernelTest>[1]): void {
  kernelTest(title, impl, { needs: whyNoProbeTarget });
}

// ------------------------------------------------------------------ probe types and forms

userTest('u: is uprobe and U: is usdt; a relative target is shown as written (probe builtin)', async (t) => {
  const dir = scratchDir(t);
  const target = buildProbeTarget(dir, 'O2');
  const rel = `./${target.comm}`;
  const r = await runTsbpf(['-c', `${rel} 2`, '-e',
    `u:${rel}:tsbpf_add { printf("%s %d\\n", probe, arg0); }
     U:${rel}:tsbpf:point { printf("%s %d\\n", probe, arg0); }`], { cwd: dir });
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout).filter((l) => !l.startsWith('done')), [
    `uprobe:${rel}:tsbpf_add 0`, `usdt:${rel}:tsbpf:point 100`,
    `uprobe:${rel}:tsbpf_add 1`, `usdt:${rel}:tsbpf:point 101`,
  ]);
});

userTest('two probes on one uprobe run in program order; the second one\'s exit() ends the run', async (t) => {
  const target = buildProbeTarget(scratchDir(t), 'O2');
  const p = target.path;
  const r = await runTsbpf(['-c', `${p} 4`, '-e',
    `uprobe:${p}:tsbpf_add { printf("first %d\\n", arg0); }
     uprobe:${p}:tsbpf_add { printf("second %d\\n", arg0); if (arg0 == 1) { exit(); } }`]);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout).filter((l) => /^(first|second) /.test(l)), ['first 0', 'second 0', 'first 1', 'second 1']);
});

userTest('after exit() the events still arriving are dropped silently (no "Lost N events")', async (t) => {
  const target = buildProbeTarget(scratchDir(t), 'O2');
  const p = target.path;
  // The smallest ring buffer, and a burst after exit() far larger than it: every event of the
  // burst is dropped or lost, and neither is reported.
  const r = await runTsbpf(['-c', `${p} 1`, '-e',
    `config = { perf_rb_pages = 1 }
     uprobe:${p}:tsbpf_add { printf("before\\n"); exit(); }
     uprobe:${p}:tsbpf_add { $i = 0; while ($i < 400) { printf("after %d ........................................................\\n", $i); $i++; } }`]);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout).filter((l) => l !== 'done 1'), ['before']);
  t.false(/Lost|lost event/.test(r.stderr), describeRun(r));
});

kernelTest('tsbpf runs as comm "tsbpf" (BEGIN runs in its context)', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { printf("%s\\n", comm); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(lines(r.stdout)[0], 'tsbpf');
});

/** A compiler clone (`f.constprop.0`) in kallsyms whose original has BTF, or undefined. */
function kernelClone(): { base: string; clone: string } | undefined {
  const btf = kernelBtfFuncs();
  if (!btf || !existsSync('/proc/kallsyms')) return undefined;
  for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
    const m = /^\S+ [tT] ([A-Za-z_]\w*)(\.constprop\.\d+)$/.exec(line);
    if (m && !m[1]!.startsWith('__pfx_') && btf.hasFunction(m[1]!)) return { base: m[1]!, clone: m[1]! + m[2]! };
  }
  return undefined;
}

kernelTest('kprobe wildcards match compiler clones (name.constprop.N), as bpftrace dcsnoop needs', async (t) => {
  const c = kernelClone()!;
  const listed = await runTsbpf(['-l', `kprobe:${c.base}*`]);
  t.true(lines(listed.stdout).includes(`kprobe:${c.clone}`), describeRun(listed));
  // kprobes cannot attach on this kernel (design.md): compiled and verified only.
  const r = await runTsbpf(['--verify', '-e', `kprobe:${c.base}.constprop.* { @ = count(); }`]);
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stderr, /Verified \d+ programs?/);
}, { needs: () => (kernelClone() ? undefined : 'no compiler clone with BTF in /proc/kallsyms') });

// ------------------------------------------------------------------ CLI flags

kernelTest('a usage error is one ERROR line and a USAGE hint, not the whole help', async (t) => {
  const r = await runTsbpf(['--no-such-flag', '-e', 'BEGIN { exit(); }']);
  t.is(r.code, 1);
  const err = errLines(r.stderr);
  t.is(err.length, 2, r.stderr);
  t.is(err[0], "ERROR: unrecognized option '--no-such-flag'");
  t.regex(err[1]!, /^USAGE: tsbpf /);
  const missing = await runTsbpf(['-e']);
  t.is(errLines(missing.stderr)[0], "ERROR: option '-e' requires an argument");
});

kernelTest('-p is checked with bpftrace\'s messages', async (t) => {
  const bad = await runTsbpf(['-p', 'abc', '-e', 'BEGIN { exit(); }']);
  t.is(bad.code, 1);
  t.is(errLines(bad.stderr)[0], 'ERROR: Failed to parse pid: invalid integer: abc');
  const big = await runTsbpf(['--pid', '99999999', '-e', 'BEGIN { exit(); }']);
  t.is(errLines(big.stderr)[0], 'ERROR: Pid out of range: 99999999');
  const gone = await runTsbpf(['--pid=4194000', '-e', 'BEGIN { exit(); }']);
  t.is(errLines(gone.stderr)[0], 'ERROR: Failed to attach to pid: Unable to open pidfd (No such process)');
  const both = await runTsbpf(['-p', '1', '-c', 'true', '-e', 'BEGIN { exit(); }']);
  t.is(errLines(both.stderr)[0], 'ERROR: USAGE: Cannot use both -c and -p.');
});

kernelTest('-c: a missing command is an error; the child\'s exit status is not tsbpf\'s (bpftrace logs it only)', async (t) => {
  const r = await runTsbpf(['-c', 'tsbpf-no-such-command', '-e', 'BEGIN { }']);
  t.is(r.code, 1);
  t.is(errLines(r.stderr)[0], "ERROR: Failed to fork child: Path 'tsbpf-no-such-command' does not exist or is not executable (No such file or directory)");
  const failing = await runTsbpf(['--cmd', 'false', '-e', 'tracepoint:syscalls:sys_enter_exit_group /pid == cpid/ { printf("child exits\\n"); }']);
  t.is(failing.code, 0, describeRun(failing));
  t.deepEqual(lines(failing.stdout), ['child exits']);
});

kernelTest('long forms and --name=value: --output, --quiet, --verbose; -I/--include/--debuginfo/--usdt-file-activation accepted', async (t) => {
  const dir = scratchDir(t);
  const out = join(dir, 'out.txt');
  const r = await runTsbpf(['--output=' + out, '--quiet', '--verbose', '-I', dir, `-I${dir}`, '--include', 'linux/sched.h', '--debuginfo', dir,
    '--usdt-file-activation', '--no-feature', 'kprobe_multi,uprobe_multi', '-e', 'BEGIN { printf("to the file\\n"); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(readFileSync(out, 'utf8'), 'to the file\n\n\n');
  t.is(r.stdout, '');
  t.false(r.stderr.includes('Attached'), '--quiet');
  t.regex(r.stderr, /^load BEGIN: \d+ instructions: processed \d+ insns/m, '--verbose');
  const badFeature = await runTsbpf(['--no-feature', 'nope', '-e', 'BEGIN { exit(); }']);
  t.is(badFeature.code, 1);
  t.is(errLines(badFeature.stderr)[0], "ERROR: USAGE: --no-feature can only have values 'kprobe_multi,kprobe_session,uprobe_multi'.");
});

kernelTest('--probe-filter keeps the probes whose name matches (and BEGIN/END); none matching is an error', async (t) => {
  const prog = 'BEGIN { } tracepoint:syscalls:sys_enter_getpid { } tracepoint:syscalls:sys_enter_getppid { } END { }';
  const all = await runTsbpf(['--dry-run', '-e', prog]);
  t.regex(all.stderr, /Attached 4 probes/, describeRun(all));
  const some = await runTsbpf(['--dry-run', '--probe-filter', 'getppid$', '-e', prog]);
  t.is(some.code, 0, describeRun(some));
  t.regex(some.stderr, /Attached 3 probes/);
  const none = await runTsbpf(['--dry-run', '--probe-filter', 'kill', '-e', prog]);
  t.is(none.code, 1);
  t.regex(none.stderr, /No probes to attach: none matches --probe-filter 'kill'/);
  const bad = await runTsbpf(['--probe-filter', '(', '-e', prog]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /Invalid --probe-filter regex '\('/);
});

kernelTest('--traceable-functions FILE is the list kprobe wildcards match', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'traceable');
  writeFileSync(file, 'vfs_read\nvfs_write\nvfs_open [some_module]\n');
  const r = await runTsbpf(['--traceable-functions', file, '--verify', '-e', 'kprobe:vfs_* { @[probe] = count(); }']);
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stderr, /Verified 2 programs/);
  const missing = await runTsbpf(['--traceable-functions', join(dir, 'none'), '-e', 'BEGIN { exit(); }']);
  t.is(missing.code, 1);
});

kernelTest('--info reports what the kernel offers, each line from what the kernel exposes', async (t) => {
  const r = await runTsbpf(['--info']);
  t.is(r.code, 0, describeRun(r));
  const yes = (b: boolean): string => (b ? 'yes' : 'no');
  t.true(r.stdout.includes(`  btf: ${yes(existsSync('/sys/kernel/btf/vmlinux'))}\n`), r.stdout);
  t.true(r.stdout.includes(`  uprobe: ${yes(existsSync('/sys/bus/event_source/devices/uprobe/type'))}\n`), r.stdout);
  t.true(r.stdout.includes(`  hardware: ${yes(existsSync('/sys/bus/event_source/devices/cpu/type'))}\n`), r.stdout);
});

// ------------------------------------------------------------------ listing

userTest('-l with relative and globbed uprobe/usdt targets lists them as written', async (t) => {
  const dir = scratchDir(t);
  const target = buildProbeTarget(dir, 'O0');
  mkdirSync(join(dir, 'sub'));
  copyFileSync(target.path, join(dir, 'sub', 'copy1'));
  const run = async (search: string): Promise<string[]> => {
    const r = await runTsbpf(['-l', search], { cwd: dir });
    t.is(r.code, 0, describeRun(r));
    return lines(r.stdout);
  };
  const rel = `./${target.comm}`;
  t.deepEqual(await run(`uprobe:${rel}:tsbpf_*`), ['tsbpf_add', 'tsbpf_greet', 'tsbpf_mul'].map((f) => `uprobe:${rel}:${f}`));
  const notes = ['tsbpf:loop', 'tsbpf:point', 'tsbpf:str', 'tsbpf_target:guarded'];
  t.deepEqual(await run(`usdt:${rel}:*`), notes.map((n) => `usdt:${rel}:${n}`));
  t.deepEqual(await run('usdt:./sub/copy*::*'), notes.map((n) => `usdt:./sub/copy1:${n}`));
  t.deepEqual(await run('U:sub/cop?1:tsbpf:*'), notes.slice(0, 3).map((n) => `usdt:sub/copy1:${n}`));
});

kernelTest('-lv \'struct X\' prints the struct from BTF; -l \'struct X*\' lists names', async (t) => {
  const r = await runTsbpf(['-lv', 'struct list_head']);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), ['vmlinux: struct list_head {', '        struct list_head *next;', '        struct list_head *prev;', '};']);
  const names = await runTsbpf(['-l', 'struct list_h*']);
  t.true(lines(names.stdout).includes('struct list_head'), describeRun(names));
}, { needs: () => (existsSync('/sys/kernel/btf/vmlinux') ? undefined : 'no kernel BTF') });

kernelTest('-l into a pipe closed early dies of SIGPIPE quietly, as bpftrace does', async (t) => {
  const r = await exec(['bash', '-c', `node ${TSBPF_BIN} -l | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"`], { cwd: REPO_ROOT });
  t.is(r.stdout.trim(), '141', r.stderr);
  t.is(r.stderr, '');
});

kernelTest('-l FILE for a missing script is an error; -l as a non-root user is an error', async (t) => {
  const r = await runTsbpf(['-l', 'no-such-script.bt']);
  t.is(r.code, 1);
  t.is(errLines(r.stderr)[0], 'ERROR: cannot read no-such-script.bt: no such file');
  if (!haveSetpriv()) return t.log('setpriv cannot switch users here: the non-root half did not run');
  const nobody = await runTsbpf(['-l', 'tracepoint:syscalls:*'], { wrap: AS_NOBODY });
  t.is(nobody.code, 1);
  t.is(nobody.stdout, '');
  t.regex(nobody.stderr, /ERROR: tsbpf currently only supports running as the root user/);
});

// ------------------------------------------------------------------ config variables

const threeKeys = 'BEGIN { @[1] = 1; @[2] = 2; @[3] = 3; exit(); }';

kernelTest('BPFTRACE_MAX_MAP_KEYS sets max_map_keys (and keys the compile cache)', async (t) => {
  const plain = await runTsbpf(['-e', threeKeys]);
  t.is(lines(plain.stdout).length, 3, describeRun(plain));
  const capped = await runTsbpf(['-e', threeKeys], { env: { BPFTRACE_MAX_MAP_KEYS: '2' } });
  t.is(capped.code, 0, describeRun(capped));
  t.is(lines(capped.stdout).length, 2, describeRun(capped));
  const bad = await runTsbpf(['-e', threeKeys], { env: { BPFTRACE_MAX_MAP_KEYS: 'many' } });
  t.is(bad.code, 1);
  t.regex(bad.stderr, /BPFTRACE_MAX_MAP_KEYS needs a positive integer, got "many"/);
});

kernelTest('print_maps_on_exit = false (config block or BPFTRACE_PRINT_MAPS_ON_EXIT) prints no maps', async (t) => {
  const block = await runTsbpf(['-e', `config = { print_maps_on_exit = false } ${threeKeys}`]);
  t.is(block.code, 0, describeRun(block));
  t.false(block.stdout.includes('@['), block.stdout);
  const env = await runTsbpf(['-e', threeKeys], { env: { BPFTRACE_PRINT_MAPS_ON_EXIT: '0' } });
  t.false(env.stdout.includes('@['), env.stdout);
  const on = await runTsbpf(['-e', `config = { print_maps_on_exit = true } ${threeKeys}`]);
  t.true(on.stdout.includes('@[3]: 3'), on.stdout);
});

kernelTest('missing_probes: error (default) fails, warn warns and runs, ignore runs silently', async (t) => {
  const body = 'tracepoint:tsbpf_nosuch:event { } BEGIN { printf("ran\\n"); exit(); }';
  const err = await runTsbpf(['-e', body]);
  t.is(err.code, 1);
  t.regex(err.stderr, /ERROR: .*tsbpf_nosuch:event/);
  const warn = await runTsbpf(['-e', `config = { missing_probes = warn } ${body}`]);
  t.is(warn.code, 0, describeRun(warn));
  t.is(lines(warn.stdout)[0], 'ran');
  t.regex(warn.stderr, /WARNING: .*tsbpf_nosuch:event/);
  const ignore = await runTsbpf(['-e', body], { env: { BPFTRACE_MISSING_PROBES: 'ignore' } });
  t.is(ignore.code, 0, describeRun(ignore));
  t.is(lines(ignore.stdout)[0], 'ran');
  t.false(ignore.stderr.includes('tsbpf_nosuch'), ignore.stderr);
  const bad = await runTsbpf(['-e', `config = { missing_probes = maybe } ${body}`]);
  t.regex(bad.stderr, /Invalid value for missing_probes: valid values are ignore, warn, and error\./);
});

kernelTest('unknown and renamed config variables are rejected as bpftrace rejects them', async (t) => {
  const unknown = await runTsbpf(['-e', 'config = { no_such_option = 1 } BEGIN { exit(); }']);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /ERROR: no_such_option: not a known configuration option/);
  const renamed = await runTsbpf(['-e', 'config = { strlen = 8 } BEGIN { exit(); }']);
  t.regex(renamed.stderr, /ERROR: strlen: key has been renamed to 'max_strlen'/);
  const envOnly = await runTsbpf(['-e', 'config = { btf = 1 } BEGIN { exit(); }']);
  t.regex(envOnly.stderr, /ERROR: btf: can only be set as an environment variable/);
});

kernelTest('BPFTRACE_COLOR=always colours messages even in a pipe; never, auto in a pipe and NO_COLOR do not', async (t) => {
  const prog = ['-e', 'BEGIN { warnf("careful"); exit(); }'];
  const esc = '\u001b[';
  // The helpers set NO_COLOR for every run: unset here.
  const always = await runTsbpf(prog, { env: { BPFTRACE_COLOR: 'always', NO_COLOR: undefined } });
  t.true(always.stderr.includes(esc), describeRun(always));
  for (const env of [{ BPFTRACE_COLOR: 'never', NO_COLOR: undefined }, { BPFTRACE_COLOR: 'auto', NO_COLOR: undefined }, { BPFTRACE_COLOR: 'always', NO_COLOR: '1' }]) {
    const r = await runTsbpf(prog, { env });
    t.true(r.stderr.includes('careful'), describeRun(r));
    t.false(r.stderr.includes(esc), JSON.stringify(env));
  }
});

kernelTest('-h and -V: the help on stdout, exit 0; the version', async (t) => {
  const help = await runTsbpf(['-h']);
  t.is(help.code, 0);
  t.true(help.stdout.startsWith('USAGE:\n'), help.stdout);
  t.regex(help.stdout, /--probe-filter REGEX/);
  const version = await runTsbpf(['--version']);
  t.is(version.code, 0);
  t.regex(version.stdout, /^tsbpf v\d+\.\d+\.\d+\n$/);
});

kernelTest('positional parameters in an attach point; an unset one is an error', async (t) => {
  const r = await runTsbpf(['-e', 'tracepoint:syscalls:$1 /pid == cpid/ { printf("%s\\n", probe); exit(); }', '-c', 'true', 'sys_enter_exit_group']);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), ['tracepoint:syscalls:sys_enter_exit_group']);
  const unset = await runTsbpf(['-e', 'tracepoint:syscalls:$2 { }', 'sys_enter_getppid']);
  t.is(unset.code, 1);
  t.regex(unset.stderr, /positional parameter \$2 in tracepoint:syscalls:\$2 is not set/);
});

kernelTest('several begin/BEGIN and end/END probes run in program order', async (t) => {
  const r = await runTsbpf(['-e', 'begin { printf("b1\\n"); } BEGIN { printf("b2\\n"); exit(); } end { printf("e1\\n"); } END { printf("e2\\n"); }']);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), ['b1', 'b2', 'e1', 'e2']);
});

kernelTest('missing_probes = warn|ignore also skips a probe that fails to attach (kprobes here), and it is not counted', async (t) => {
  const body = 'kprobe:vfs_read { @ = count(); } BEGIN { printf("ran\\n"); exit(); }';
  const strict = await runTsbpf(['-e', body]);
  t.is(strict.code, 1);
  t.regex(strict.stderr, /ERROR: cannot attach kprobe:vfs_read/);
  const warn = await runTsbpf(['-e', `config = { missing_probes = warn } ${body}`]);
  t.is(warn.code, 0, describeRun(warn));
  t.is(lines(warn.stdout)[0], 'ran');
  t.regex(warn.stderr, /WARNING: cannot attach kprobe:vfs_read/);
  t.regex(warn.stderr, /Attached 1 probe\n/);
  const ignore = await runTsbpf(['-e', body], { env: { BPFTRACE_MISSING_PROBES: 'ignore' } });
  t.is(ignore.code, 0, describeRun(ignore));
  t.false(ignore.stderr.includes('vfs_read'), ignore.stderr);
}, { needs: () => (kernelHasKprobes() ? 'this kernel can attach kprobes: no attach failure to skip' : undefined) });
