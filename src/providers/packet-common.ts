import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { ifindexOf, netInterfaces } from '../kernel/netdev.js';
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
