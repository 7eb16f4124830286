import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { ifindexOf, netInterfaces } from '../kernel/netdev.js';
import type { RedirectTarget } from '../contract/index.js';
import { AttachError, globToRegExp, hasWildcard } from './provider.js';

/** The interfaces an `xdp:`/`tc:` attach point names (a glob expands over this namespace's interfaces); reports none found. */
export function expandInterfaces(pattern: string, raw: string, span: Span, diags: Diagnostics): string[] {
  if (!pattern) {
    diags.error('invalid-attach-point', `invalid ${raw}: no interface named`, span);
    return [];
  }
  const names = hasWildcard(pattern) ? netInterfaces().filter((n) => globToRegExp(pattern).test(n)) : ifindexOf(pattern) === undefined ? [] : [pattern];
  if (names.length === 0) diags.error('unknown-probe', hasWildcard(pattern) ? `no network interface matches ${pattern}` : `no network interface named ${pattern}`, span, [`interfaces here: ${netInterfaces().join(', ')}`]);
  return names;
}

/** The interface's index now (it may have been re-created since the script was compiled). */
export function attachIfindex(iface: string, probeName: string): number {
  const ifindex = ifindexOf(iface);
  if (ifindex === undefined) throw new AttachError(`cannot attach ${probeName}: no network interface named ${iface}`);
  return ifindex;
}

/** The kernel's errno name of a failed native call (`EBUSY`), if it carries one. */
export function errnoName(e: unknown): string | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The interfaces a probe redirects to must still have the indexes compiled into it (a re-created one has a new index). */
export function checkRedirects(redirects: readonly RedirectTarget[] | undefined, probeName: string): void {
  for (const r of redirects ?? []) {
    const now = ifindexOf(r.iface);
    if (now === r.ifindex) continue;
    throw new AttachError(
      now === undefined
        ? `cannot attach ${probeName}: redirect target ${r.iface} does not exist any more`
        : `cannot attach ${probeName}: redirect target ${r.iface} has index ${now}, not ${r.ifindex} as when the script was compiled (re-created?)`,
      now === undefined ? undefined : 'run again with --no-cache to compile it for the interface as it is now',
    );
  }
}
