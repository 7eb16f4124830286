import { existsSync } from 'node:fs';
import { arch, release, version } from 'node:os';
import { kernelHasKprobes, tracefsRoot } from '../src/index.js';

/**
 * `--info`: what this machine offers tsbpf, in bpftrace's `--info` layout (sections of
 * `name: yes|no`). Each answer comes from a file the kernel exposes; what only a load would tell
 * (fentry's permission) says so instead of guessing.
 */
export function systemInfo(tsbpfVersion: string): string {
  const yes = (b: boolean): string => (b ? 'yes' : 'no');
  const pmu = (name: string): boolean => existsSync(`/sys/bus/event_source/devices/${name}/type`);
  const sections: [string, [string, string][]][] = [
    ['System', [['OS', `Linux ${release()} ${version()}`], ['Arch', arch() === 'x64' ? 'x86_64' : arch()]]],
    ['Build', [['version', `v${tsbpfVersion}`], ['node', process.versions.node], ['LLVM', '14 (compile worker)'], ['C preprocessor (-I, --include)', 'no'], ['DWARF (--debuginfo)', 'no']]],
    ['Kernel features', [['btf', yes(existsSync('/sys/kernel/btf/vmlinux'))], ['tracefs', yes(tracefsRoot() !== undefined)], ['kallsyms', yes(existsSync('/proc/kallsyms'))]]],
    [
      'Probe types',
      [
        ['kprobe', yes(kernelHasKprobes())],
        ['tracepoint', yes(pmu('tracepoint'))],
        ['rawtracepoint', yes(existsSync('/sys/kernel/btf/vmlinux'))],
        ['uprobe', yes(pmu('uprobe'))],
        ['usdt', yes(pmu('uprobe'))],
        ['software', yes(pmu('software'))],
        ['hardware', yes(pmu('cpu'))],
        ['watchpoint', yes(pmu('breakpoint'))],
        ['fentry', 'decided when a program loads (a security module may refuse it)'],
      ],
    ],
  ];
  return sections.map(([title, rows]) => `${title}\n${rows.map(([k, v]) => `  ${k}: ${v}\n`).join('')}`).join('\n');
}
