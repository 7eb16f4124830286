import type { CompiledProgram } from '../contract/index.js';
import type { Provider } from './provider.js';

/**
 * Each provider's module, by the provider's name (`ConcreteProbe.provider`), loaded on demand: the
 * tracing process loads the attach code of the probe types its script uses and no other (with the
 * kernel BTF, ELF and USDT readers they import), which keeps a cache-hit start-up short
 * (design.md "Targets"). registry.ts lists every provider for the compiler;
 * test/unit/providers/loaders.test.ts checks the two agree.
 */
export const PROVIDER_LOADERS: Readonly<Record<string, () => Promise<Provider>>> = {
  BEGIN: () => import('./special.js').then((m) => m.beginProvider),
  END: () => import('./special.js').then((m) => m.endProvider),
  tracepoint: () => import('./tracepoint.js').then((m) => m.tracepointProvider),
  kprobe: () => import('./kprobe.js').then((m) => m.kprobeProvider),
  kretprobe: () => import('./kprobe.js').then((m) => m.kretprobeProvider),
  interval: () => import('./perf-timer.js').then((m) => m.intervalProvider),
  profile: () => import('./perf-timer.js').then((m) => m.profileProvider),
  uprobe: () => import('./uprobe.js').then((m) => m.uprobeProvider),
  uretprobe: () => import('./uprobe.js').then((m) => m.uretprobeProvider),
  usdt: () => import('./usdt.js').then((m) => m.usdtProvider),
  rawtracepoint: () => import('./rawtracepoint.js').then((m) => m.rawtracepointProvider),
  software: () => import('./perf-events.js').then((m) => m.softwareProvider),
  hardware: () => import('./perf-events.js').then((m) => m.hardwareProvider),
  fentry: () => import('./fentry.js').then((m) => m.fentryProvider),
  fexit: () => import('./fentry.js').then((m) => m.fexitProvider),
  watchpoint: () => import('./watchpoint.js').then((m) => m.watchpointProvider),
  iter: () => import('./iter.js').then((m) => m.iterProvider),
  self: () => import('./self.js').then((m) => m.selfProvider),
  bench: () => import('./bench.js').then((m) => m.benchProvider),
  test: () => import('./bench.js').then((m) => m.testProvider),
  xdp: () => import('./xdp.js').then((m) => m.xdpProvider),
  tc: () => import('./tc.js').then((m) => m.tcProvider),
};

const loaded = new Map<string, Provider>();

/**
 * Load the providers of these programs' probes (a name without a loader loads the whole registry).
 * BEGIN/END are run by the runtime, never attached, and their provider has nothing to explain: skipped.
 */
export async function loadProviders(programs: readonly CompiledProgram[]): Promise<void> {
  const names = programs.filter((p) => p.probe.attach.kind !== 'special').map((p) => p.probe.provider);
  const missing = [...new Set(names)].filter((n) => !loaded.has(n));
  await Promise.all(
    missing.map(async (name) => {
      const load = PROVIDER_LOADERS[name];
      const provider = load ? await load() : (await import('./registry.js')).providerFor(name);
      if (provider) loaded.set(name, provider);
    }),
  );
}

/** The provider of a program's probe, once `loadProviders` has loaded it. */
export function loadedProvider(program: CompiledProgram): Provider | undefined {
  return loaded.get(program.probe.provider);
}
