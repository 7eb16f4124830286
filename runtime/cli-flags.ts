/**
 * Every command-line flag of tsbpf, once: the parser's value-taking spellings
 * (runtime/cli.ts `VALUE_OPTIONS`), `--help` (`helpText`), the man page (runtime/man-page.ts) and
 * shell completion (runtime/cli-complete.ts) are all read from `CLI_FLAGS`. A new flag is one row
 * here and one `case` in cli.ts's parser; test/unit/runtime/cli-flags.test.ts checks the two agree.
 *
 * Groups follow bpftrace's `--help` and man page (bpftrace src/main.cpp `usage`, man/adoc/bpftrace.adoc).
 */
import { DUMP_STAGE_NAMES } from '../src/contract/index.js';

export type FlagGroup = 'general' | 'target' | 'output' | 'input' | 'safety' | 'developer' | 'troubleshooting';

/** What a flag's value is, for completion. */
export type FlagValueKind = 'file' | 'dir' | 'pid' | 'command' | 'probe';

export interface CliFlag {
  /** Every spelling, the canonical one first (the parser's `case` label): `['-o', '--output']`. */
  readonly names: readonly string[];
  /** The value's name in the help (`FILE`); absent for a switch. */
  readonly arg?: string;
  /** The value may be left out (`-l [search]`): the parser takes the next word only when it is not a flag. */
  readonly optionalArg?: boolean;
  readonly group: FlagGroup;
  /** The help text; `\n` continues it on the next line. */
  readonly help: string;
  /** The man page's longer description (default: `help`). */
  readonly man?: string;
  /** The values it accepts, for completion and the man page. */
  readonly values?: readonly string[];
  /** What else its value is, for completion. */
  readonly valueKind?: FlagValueKind;
}

/** `--no-feature` values bpftrace accepts (tsbpf uses only uprobe_multi of these link kinds; the others: accepted, no effect). */
export const NO_FEATURES = ['kprobe_multi', 'kprobe_session', 'uprobe_multi'] as const;

export const CLI_FLAGS: readonly CliFlag[] = [
  // general
  { names: ['-e'], arg: "'program'", group: 'general', help: 'execute this program' },
  {
    names: ['-l', '--list'],
    arg: '[search|FILE]',
    optionalArg: true,
    group: 'general',
    help: "list probes matching search (e.g. 't:syscalls:*open*', 'uprobe:./prog:*',\n'struct task_struct'), or the probes of a program",
    man: "List the probes whose names match search, a glob such as 't:syscalls:*open*' or 'uprobe:./prog:*'; 'struct X' prints a struct from BTF. With a script FILE or -e, list the probes that program would attach. Without search, list every probe.",
    valueKind: 'probe',
  },
  { names: ['-lv', '-vl'], arg: '[search]', optionalArg: true, group: 'general', help: "list probes with their arguments (struct definitions for 'struct X')", valueKind: 'probe' },
  { names: ['-v', '--verbose'], group: 'general', help: "verbose messages (each loaded program's size)" },
  { names: ['-h', '--help'], group: 'general', help: 'show this help message' },
  { names: ['-V', '--version'], group: 'general', help: 'tsbpf version' },
  { names: ['--info'], group: 'general', help: 'print what this kernel and build support' },
  { names: ['-'], group: 'general', help: 'read the program from standard input' },
  { names: ['--'], group: 'general', help: "what follows is the program's parameters ($1, --name=value)" },
  // target process
  {
    names: ['-p', '--pid'],
    arg: 'PID',
    group: 'target',
    help: 'trace only this process (user probes attach to it); exit when it exits',
    valueKind: 'pid',
  },
  {
    names: ['-c', '--cmd'],
    arg: "'CMD'",
    group: 'target',
    help: 'run CMD once every probe is attached and trace it (cpid); exit when it ends',
    man: 'Run CMD as a child process once every probe is attached; its pid is cpid in the program, and user probes attach to it. tsbpf exits when it ends, and terminates it when tsbpf ends first.',
    valueKind: 'command',
  },
  { names: ['--usdt-file-activation'], group: 'target', help: 'accepted: USDT semaphores are always counted per file by the kernel' },
  // output
  { names: ['-o', '--output'], arg: 'FILE', group: 'output', help: 'redirect program output to FILE', valueKind: 'file' },
  {
    names: ['-f'],
    arg: 'FORMAT',
    group: 'output',
    help: "output format ('text', 'json', 'folded': maps keyed by stacks as folded stacks)",
    man: "Output format: text (as bpftrace), json (one JSON object per line, as bpftrace's), or folded: every map keyed by a stack as folded stacks (frames root first, ';'-separated, a space, the count), the input of flame graph tools; other maps go to stderr as text.",
    values: ['text', 'json', 'folded'],
  },
  {
    names: ['--flamegraph'],
    arg: 'FILE.svg',
    group: 'output',
    help: 'at exit, write an interactive SVG flame graph of the maps keyed by stacks',
    man: "At exit, write an interactive SVG flame graph of every map keyed by a stack (e.g. profile:hz:99 { @[kstack, ustack, comm] = count(); }) to FILE.svg: hover shows a frame's samples, a click zooms, Search (or Ctrl-F) highlights frames matching a regular expression. The file is self-contained.",
    valueKind: 'file',
  },
  {
    names: ['--export'],
    arg: '[HOST]:PORT',
    group: 'output',
    help: 'serve every map at http://HOST:PORT/metrics for Prometheus while tracing\n(:9464 listens on every interface)',
    man: "While tracing, serve every map at http://HOST:PORT/metrics in the Prometheus/OpenMetrics text format: counts and sums as counters, other values as gauges, hist and lhist as histograms, map keys as labels. ':9464' listens on every interface, '127.0.0.1:9464' on one; port 0 picks a free port and prints it.",
  },
  { names: ['-B'], arg: 'MODE', group: 'output', help: "output buffering mode ('line', 'full', 'none')", values: ['line', 'full', 'none'] },
  { names: ['-q', '--quiet'], group: 'output', help: 'keep messages quiet' },
  { names: ['-k', '--warnings'], group: 'output', help: 'emit a warning when a BPF helper returns an error (probe reads, map lookups)' },
  { names: ['--no-warnings'], group: 'output', help: 'disable all warning messages' },
  // inputs
  {
    names: ['-I'],
    arg: 'DIR',
    group: 'input',
    help: 'accepted for bpftrace scripts; tsbpf has no C preprocessor (types come\nfrom BTF), so it changes nothing',
    valueKind: 'dir',
  },
  { names: ['--include'], arg: 'FILE', group: 'input', help: 'accepted, as -I', valueKind: 'file' },
  { names: ['--debuginfo'], arg: 'DIR', group: 'input', help: 'accepted; tsbpf reads no DWARF', valueKind: 'dir' },
  {
    names: ['--traceable-functions'],
    arg: 'FILE',
    group: 'input',
    help: "the kernel functions kprobes may use ('symbol [module]' lines)",
    valueKind: 'file',
  },
  { names: ['-b', '--btf'], group: 'input', help: 'accepted, as bpftrace (BTF is always used)' },
  // safety
  { names: ['--unsafe'], group: 'safety', help: 'allow unsafe functions (system, signal)' },
  { names: ['--no-feature'], arg: 'F,..', group: 'safety', help: 'avoid these link kinds (of them tsbpf uses only uprobe_multi)', values: NO_FEATURES },
  { names: ['--no-cache'], group: 'safety', help: 'do not use or fill the compile cache' },
  // developer
  { names: ['--probe-filter'], arg: 'REGEX', group: 'developer', help: 'attach only the probes whose name matches REGEX (BEGIN/END always)' },
  {
    names: ['--emit'],
    arg: 'STAGE',
    group: 'developer',
    help: 'print a compiler stage to stdout and exit without loading anything',
    values: DUMP_STAGE_NAMES,
  },
  {
    names: ['--emit-elf'],
    arg: 'FILE',
    group: 'developer',
    help: 'write the BPF ELF object to FILE and exit without loading anything',
    valueKind: 'file',
  },
  { names: ['--emit-llvm'], arg: 'FILE', group: 'developer', help: 'write the LLVM IR to FILE.original.ll and FILE.optimized.ll, then run', valueKind: 'file' },
  { names: ['--verify-llvm-ir'], group: 'developer', help: "accepted: tsbpf runs LLVM's verifier on every module" },
  { names: ['--test'], group: 'developer', help: 'run BEGIN and every test:NAME probe once, report which passed, attach nothing' },
  { names: ['--bench'], group: 'developer', help: 'run BEGIN and time every bench:NAME probe (BPF_PROG_TEST_RUN), attach nothing' },
  { names: ['--mode'], arg: 'MODE', group: 'developer', help: 'refused: use --test or --bench (tsbpf has no codegen or format modes)' },
  { names: ['--fmt'], arg: 'FILE', group: 'developer', help: 'refused: tsbpf has no script formatter' },
  { names: ['--aot'], arg: 'FILE', group: 'developer', help: 'refused: tsbpf compiles ahead of time into its compile cache instead' },
  { names: ['--dwarf-pid'], arg: 'PID', group: 'developer', help: 'refused: tsbpf has no DWARF unwinder (dw_ustack)' },
  {
    names: ['--complete'],
    arg: 'PREV CUR',
    group: 'developer',
    help: 'print the completions of the word CUR after PREV (the bash and zsh\ncompletion scripts call it)',
  },
  // troubleshooting
  { names: ['--dry-run'], group: 'troubleshooting', help: 'compile, load and attach every probe, then exit' },
  { names: ['--verify'], group: 'troubleshooting', help: "compile, load and verify every program through the kernel's verifier, attach nothing" },
  {
    names: ['-d', '--debug'],
    arg: 'STAGE',
    group: 'troubleshooting',
    help: `print a compiler stage to stderr, then run (comma list, repeatable):\n${DUMP_STAGE_NAMES.join(', ')}`,
    values: DUMP_STAGE_NAMES,
  },
];

/** Group headings, in the order help and the man page print them; `sub` groups are blocks under OPTIONS. */
export const FLAG_GROUPS: readonly { readonly group: FlagGroup; readonly heading: string; readonly sub: boolean }[] = [
  { group: 'general', heading: 'General', sub: true },
  { group: 'target', heading: 'Target process', sub: true },
  { group: 'output', heading: 'Output', sub: true },
  { group: 'input', heading: 'Inputs', sub: true },
  { group: 'safety', heading: 'Safety and caching', sub: true },
  { group: 'developer', heading: 'DEVELOPER OPTIONS', sub: false },
  { group: 'troubleshooting', heading: 'TROUBLESHOOTING OPTIONS', sub: false },
];

/** Notes (-v) for bpftrace's environment variables tsbpf accepts but has no use for. */
export function unusedEnvNotes(env: NodeJS.ProcessEnv = process.env): string[] {
  return UNUSED_ENV.filter((e) => env[e.name] !== undefined).map((e) => `${e.name} is not used: ${e.why}`);
}

const UNUSED_ENV: readonly { readonly name: string; readonly why: string }[] = [
  { name: 'BPFTRACE_VMLINUX', why: 'tsbpf reads no vmlinux image (kernel symbols come from /proc/kallsyms, types from BTF)' },
  { name: 'BPFTRACE_KERNEL_SOURCE', why: 'tsbpf includes no kernel headers (types come from BTF)' },
  { name: 'BPFTRACE_KERNEL_BUILD', why: 'tsbpf includes no kernel headers (types come from BTF)' },
];

export const ENVIRONMENT: readonly { readonly name: string; readonly help: string }[] = [
  { name: '__BPFTRACE_NOTIFY_PROBES_ATTACHED', help: 'print this name on its own line once every probe is attached' },
  { name: 'NO_COLOR', help: 'never colour output' },
  { name: 'BPFTRACE_COLOR', help: 'colour messages: auto (on a terminal), always or never' },
  { name: 'BPFTRACE_BTF', help: 'read the kernel types from this raw BTF file instead of /sys/kernel/btf/vmlinux' },
  {
    name: 'BPFTRACE_VMLINUX, BPFTRACE_KERNEL_SOURCE, BPFTRACE_KERNEL_BUILD',
    help: 'accepted, not used (-v says so): tsbpf reads no vmlinux image and no kernel headers',
  },
  {
    name: 'BPFTRACE_<CONFIG VARIABLE>',
    help: 'any config variable, e.g. BPFTRACE_MAX_MAP_KEYS=4096,\nBPFTRACE_PERF_RB_PAGES, BPFTRACE_STACK_MODE (wins over the config block)',
  },
];

export const EXAMPLES: readonly { readonly command: string; readonly help: string }[] = [
  { command: "tsbpf -e 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }'", help: 'count openat() calls per process name' },
  { command: "tsbpf -e 'kprobe:tcp_set_state < @[comm]++ >'", help: "the same in tsbpf's action form" },
  { command: "tsbpf --flamegraph cpu.svg -e 'profile:hz:99 { @[kstack, ustack, comm] = count(); }'", help: 'profile every CPU at 99 Hz; Ctrl-C writes the flame graph cpu.svg' },
  { command: "tsbpf -l 't:syscalls:*open*'", help: 'list the tracepoints of open calls' },
  { command: 'tsbpf', help: 'on a terminal: the interactive shell' },
];

export const SYNOPSIS: readonly string[] = ['tsbpf [options] filename', 'tsbpf [options] - <stdin input>', "tsbpf [options] -e 'program'", 'tsbpf                      (on a terminal: the interactive shell)', 'tsbpf top [-f json] [-i SECONDS] [--detach ID]   (every BPF program on the machine, live)'];

/** `-o, --output FILE`: how the help and the man page name a flag. */
export function flagSpec(f: CliFlag): string {
  return f.names.join(', ') + (f.arg ? ' ' + f.arg : '');
}

/**
 * Every spelling of a flag that takes a value, mapped to its canonical name (bpftrace's getopt_long
 * table: `-o`/`--output`, `-p`/`--pid`, ...). Optional values (`-l`) are not here: the parser looks at them itself.
 */
export function valueOptions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of CLI_FLAGS) if (f.arg && !f.optionalArg) for (const n of f.names) out[n] = f.names[0]!;
  return out;
}

/** The flag a word names (`--output`, `-o`), if any. */
export function flagNamed(word: string): CliFlag | undefined {
  return CLI_FLAGS.find((f) => f.names.includes(word));
}

const INDENT = '    ';
const HELP_COLUMN = 21;

function helpRows(rows: readonly { readonly left: string; readonly help: string }[]): string {
  let s = '';
  for (const r of rows) {
    const [first, ...more] = r.help.split('\n');
    const pad = ' '.repeat(HELP_COLUMN);
    if (r.left.length + 2 > HELP_COLUMN) s += `${INDENT}${r.left}\n${INDENT}${pad}${first}\n`;
    else s += `${INDENT}${r.left.padEnd(HELP_COLUMN)}${first}\n`;
    for (const m of more) s += `${INDENT}${pad}${m}\n`;
  }
  return s;
}

/** `tsbpf --help`. */
export function helpText(): string {
  let s = 'USAGE:\n' + SYNOPSIS.map((l) => INDENT + l + '\n').join('') + '\nOPTIONS:\n';
  let first = true;
  for (const g of FLAG_GROUPS) {
    const rows = CLI_FLAGS.filter((f) => f.group === g.group).map((f) => ({ left: flagSpec(f), help: f.help }));
    if (!g.sub) s += `\n${g.heading}:\n`;
    else if (!first) s += '\n';
    first = false;
    s += helpRows(rows);
  }
  s += '\nENVIRONMENT:\n' + helpRows(ENVIRONMENT.map((e) => ({ left: e.name, help: e.help })));
  s += '\nEXAMPLES:\n';
  for (const e of EXAMPLES) s += `${e.command}\n${INDENT}${e.help}\n`;
  s += "\nSee 'man tsbpf' for more.\n";
  return s;
}
