/**
 * `tsbpf -l -e 'PROGRAM'` / `tsbpf -l script.tbpf` (and `-lv`): the probes a program would attach,
 * after wildcard expansion, printed as bpftrace 0.26 prints them (ProbeMatcher::get_probes_for_listing
 * with a program): for every attach point in order, BEGIN/END skipped, each match as `type:match`,
 * with `-v` followed by its argument lines. Needs only the front end (parse + provider expansion),
 * so it runs in the compile worker: the runtime never loads the parser.
 */
import { Diagnostics, type Diagnostic } from './common/diagnostic.js';
import type { SourceFile } from './common/span.js';
import { listKernelFunctions } from './providers/kprobe.js';
import type { ConcreteProbe, ExpandContext, Provider } from './providers/provider.js';
import { providerFor } from './providers/registry.js';
import { parse } from './syntax/index.js';

export interface ProgramListing {
  readonly lines: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/** bpftrace lists profile/interval matches only for these units (probe_matcher.h TIME_UNITS). */
const TIME_UNITS = new Set(['hz', 'ms', 's', 'us']);

/**
 * The name bpftrace lists for one expanded probe, or undefined when it lists none: the match
 * without an offset or address (`kprobe:f+8` -> `kprobe:f`, `uprobe:/bin/x:0x1169` -> `uprobe:/bin/x:`),
 * perf events and timers as `software:EVENT:`, `profile:UNIT:`; watchpoints and BEGIN/END never.
 */
export function listingName(probe: ConcreteProbe): string | undefined {
  const parts = probe.name.split(':');
  switch (probe.provider) {
    case 'BEGIN':
    case 'END':
    case 'watchpoint':
      return undefined;
    case 'software':
    case 'hardware':
      return `${probe.provider}:${parts[1]}:`;
    case 'profile':
    case 'interval': {
      // `interval:s:1` has the unit; the one-part form (`interval:1s`, ns counts) is `us` in bpftrace.
      const unit = parts.length === 3 ? parts[1]! : 'us';
      return TIME_UNITS.has(unit) ? `${probe.provider}:${unit}:` : undefined;
    }
    case 'kprobe':
    case 'kretprobe': {
      // bpftrace matches kprobes against the traceable functions: an unknown one lists nothing.
      const func = parts[parts.length - 1]!.replace(/\+.*$/, '');
      if (!listKernelFunctions().includes(func)) return undefined;
      return [...parts.slice(0, -1), func].join(':');
    }
    case 'uprobe':
    case 'uretprobe': {
      const last = parts[parts.length - 1]!;
      if (/^(0x[0-9a-fA-F]+|\d+)$/.test(last)) return [...parts.slice(0, -1), ''].join(':');
      return [...parts.slice(0, -1), last.replace(/\+.*$/, '')].join(':');
    }
    default:
      return probe.name;
  }
}

export function listProgramProbes(source: SourceFile, opts: { verbose?: boolean; pid?: number } = {}): ProgramListing {
  const parsed = parse(source);
  if (!parsed.program) return { lines: [], diagnostics: parsed.diagnostics };
  const diags = new Diagnostics();
  diags.items.push(...parsed.diagnostics);
  const ctx: ExpandContext = { pid: opts.pid };
  const lines: string[] = [];
  for (const node of parsed.program.probes) {
    for (const ap of node.attachPoints) {
      const provider: Provider | undefined = providerFor(ap.raw);
      if (!provider) {
        diags.error('unknown-probe-type', `unknown probe type: ${ap.raw.split(':', 1)[0]}`, ap.span);
        continue;
      }
      // A set per attach point, sorted as bpftrace's std::set is (by bytes).
      const names = [...new Set(provider.expand(ap.raw, ap.span, diags, ctx).flatMap((p) => listingName(p) ?? []))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const name of names) {
        lines.push(name);
        if (opts.verbose && provider.describe) lines.push(...provider.describe(name));
      }
    }
  }
  return { lines: diags.hasErrors ? [] : lines, diagnostics: diags.items };
}
