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
  ...PACKET_PROVIDERS,
];

const byName = new Map<string, Provider>();
for (const p of PROVIDERS) {
  byName.set(p.name.toLowerCase(), p);
  for (const a of p.aliases) byName.set(a.toLowerCase(), p);
}

/** The provider for an attach point's text (`t:syscalls:...`, `BEGIN`); names are case-insensitive. */
export function providerFor(raw: string): Provider | undefined {
  const head = raw.split(':', 1)[0]!.toLowerCase();
  return byName.get(head);
}
