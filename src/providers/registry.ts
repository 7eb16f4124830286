import { kprobeProvider, kretprobeProvider } from './kprobe.js';
import { intervalProvider, profileProvider } from './perf-timer.js';
import type { Provider } from './provider.js';
import { beginProvider, endProvider } from './special.js';
import { tracepointProvider } from './tracepoint.js';
import { uprobeProvider, uretprobeProvider } from './uprobe.js';
import { fentryProvider, fexitProvider } from './fentry.js';
import { hardwareProvider, softwareProvider } from './perf-events.js';
import { rawtracepointProvider } from './rawtracepoint.js';
import { usdtProvider } from './usdt.js';
import { watchpointProvider } from './watchpoint.js';
import { iterProvider } from './iter.js';
import { selfProvider } from './self.js';
import { benchProvider, testProvider } from './bench.js';
import { PACKET_PROVIDERS } from './packet-providers.js';

/** Every probe type. Adding one: write its provider file, add it here. */
export const PROVIDERS: readonly Provider[] = [
  beginProvider,
  endProvider,
  tracepointProvider,
  kprobeProvider,
  kretprobeProvider,
  intervalProvider,
  profileProvider,
  uprobeProvider,
  uretprobeProvider,
  usdtProvider,
  rawtracepointProvider,
  softwareProvider,
  hardwareProvider,
  fentryProvider,
  fexitProvider,
  watchpointProvider,
  iterProvider,
  selfProvider,
  benchProvider,
  testProvider,
  ...PACKET_PROVIDERS,
];

const exact = new Map<string, Provider>();
const folded = new Map<string, Provider>();
for (const p of PROVIDERS) {
  for (const n of [p.name, ...p.aliases]) {
    exact.set(n, p);
    // The first provider claiming a folded name keeps it: `u` is uprobe, only `U` is usdt.
    if (!folded.has(n.toLowerCase())) folded.set(n.toLowerCase(), p);
  }
}

/**
 * The provider for an attach point's text (`t:syscalls:...`, `BEGIN`). As in bpftrace, a name or
 * alias spelled exactly wins (`U` is usdt, `u` is uprobe); otherwise names are case-insensitive.
 */
export function providerFor(raw: string): Provider | undefined {
  const head = raw.split(':', 1)[0]!;
  return exact.get(head) ?? folded.get(head.toLowerCase());
}
