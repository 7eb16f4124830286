/**
 * `-l` with a program (`-l -e '...'`, `-l script.tbpf`): the probes it would attach after wildcard
 * expansion, as bpftrace 0.26 lists them (ProbeMatcher::get_probes_for_listing(program)); and the
 * `-l`/`-lv` formats of the probe types fixed against bpftrace 0.26 (kprobe/kretprobe -lv from BTF,
 * fexit of a void function, profile/interval units).
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProbeTarget, whyNoProbeTarget } from '../helpers/probe-target.js';
import { describeRun, kernelTest, runTsbpf, scratchDir } from '../helpers/tsbpf.js';

function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

kernelTest('-l -e lists the tracepoints a wildcard expands to, sorted, BEGIN/END left out', async (t) => {
  const r = await runTsbpf(['-l', '-e', 'BEGIN { } tracepoint:syscalls:sys_enter_open* { } END { }']);
  t.is(r.code, 0, describeRun(r));
  const expected = readdirSync('/sys/kernel/tracing/events/syscalls')
    .filter((e) => e.startsWith('sys_enter_open'))
    .sort(byBytes)
    .map((e) => `tracepoint:syscalls:${e}`);
  t.true(expected.includes('tracepoint:syscalls:sys_enter_openat'));
  t.is(r.stdout, expected.join('\n') + '\n');
  t.false(r.stderr.includes('Attached'), 'nothing is attached');
});

kernelTest('-l with a script file lists its probes in program order; -lv adds their arguments', async (t) => {
  const dir = scratchDir(t);
  const script = join(dir, 'list.tbpf');
  writeFileSync(script, 'tracepoint:syscalls:sys_enter_close { @ = count(); }\nkprobe:tcp_set_state, kretprobe:tcp_set_state { }\nsoftware:cs:1000 { } profile:hz:99 { } interval:s:1 { }\n');
  const r = await runTsbpf(['-l', script]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, ['tracepoint:syscalls:sys_enter_close', 'kprobe:tcp_set_state', 'kretprobe:tcp_set_state', 'software:cs:', 'profile:hz:', 'interval:s:', ''].join('\n'));
  const v = await runTsbpf(['-lv', script]);
  t.is(v.code, 0, describeRun(v));
  t.is(v.stdout, ['tracepoint:syscalls:sys_enter_close', '    int __syscall_nr', '    unsigned int fd', 'kprobe:tcp_set_state', '    struct sock * arg0', '    int arg1', 'kretprobe:tcp_set_state', '    void', 'software:cs:', 'profile:hz:', 'interval:s:', ''].join('\n'));
});

kernelTest('-l -e: uprobe offsets and addresses, usdt wildcards, watchpoints (never listed)', async (t) => {
  const why = whyNoProbeTarget();
  if (why) return void t.pass(`skipped: ${why}`);
  const p = buildProbeTarget(scratchDir(t), 'O0').path;
  const r = await runTsbpf(['-l', '-e', `uprobe:${p}:tsbpf_a*, uretprobe:${p}:tsbpf_mul { } uprobe:${p}:tsbpf_greet+4 { } usdt:${p}:tsbpf:* { } watchpoint:0x1000:8:w { }`]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, [`uprobe:${p}:tsbpf_add`, `uretprobe:${p}:tsbpf_mul`, `uprobe:${p}:tsbpf_greet`, `usdt:${p}:tsbpf:loop`, `usdt:${p}:tsbpf:point`, `usdt:${p}:tsbpf:str`, ''].join('\n'));
});

kernelTest('-l -e with an error in the program prints it and lists nothing', async (t) => {
  const r = await runTsbpf(['-l', '-e', 'tracepoint:nosuchcategory:nosuchevent { }']);
  t.is(r.code, 1, describeRun(r));
  t.is(r.stdout, '');
  t.true(r.stderr.includes('ERROR: '), describeRun(r));
});

kernelTest('-l profile:* and interval:* list the units bpftrace lists', async (t) => {
  const r = await runTsbpf(['-l', 'profile:*']);
  t.is(r.stdout, 'profile:hz:\nprofile:ms:\nprofile:s:\nprofile:us:\n');
  const i = await runTsbpf(['-l', 'i:*s*']);
  t.is(i.stdout, 'interval:ms:\ninterval:s:\ninterval:us:\n');
});

kernelTest('-lv kprobe/kretprobe print BTF arguments as bpftrace 0.26 does; fexit of a void function has no retval', async (t) => {
  const k = await runTsbpf(['-lv', 'kprobe:vfs_read']);
  t.is(k.stdout, 'kprobe:vfs_read\n    struct file * arg0\n    char * arg1\n    size_t arg2\n    loff_t * arg3\n');
  const kr = await runTsbpf(['-lv', 'kretprobe:vfs_read']);
  t.is(kr.stdout, 'kretprobe:vfs_read\n    ssize_t retval\n');
  const f = await runTsbpf(['-lv', 'fexit:tcp_set_state']);
  t.is(f.stdout, 'fexit:vmlinux:tcp_set_state\n    struct sock * sk\n    int state\n');
});
