/**
 * `tsbpf -l -e 'PROGRAM'` / `tsbpf -l script.tbpf` (and `-lv`): the probes a program would attach,
 * after wildcard expansion, printed as bpftrace 0.26 prints them (ProbeMatcher::get_probes_for_listing
 * with a program): for every attach point in order, BEGIN/END skipped, each match as `type:match`,
 * with `-v` followed by its argument lines. Needs only the front end (parse + provider expansion),
 * so it runs in the compile worker: the runtime never loads the parser.
 */
import { Diagnostics, type Diagnostic } from './common/diagnostic.js';
import type { SourceFile } from './common/span.js';
import type { ConcreteProbe, ExpandContext, Provider } from './providers/provider.js';
import { providerFor } from './providers/registry.js';
import { parse } from './syntax/index.js';

export interface ProgramListing {
  readonly lines: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The name bpftrace lists for one expanded probe, or undefined when it lists none: the provider's
 * `listing.name` (matches without offsets or addresses, timers by unit; never BEGIN/END or
 * watchpoints), else the probe's full name.
 */
export function listingName(probe: ConcreteProbe, provider: Provider | undefined = providerFor(probe.provider)): string | undefined {
  const name = provider?.listing?.name;
  return name ? name(probe) : probe.name;
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
      const names = [...new Set(provider.expand(ap.raw, ap.span, diags, ctx).flatMap((p) => listingName(p, provider) ?? []))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const name of names) {
        lines.push(name);
        if (opts.verbose && provider.describe) lines.push(...provider.describe(name));
      }
    }
  }
  return { lines: diags.hasErrors ? [] : lines, diagnostics: diags.items };
}
