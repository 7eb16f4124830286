import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { AttachError, attachPerfEvents, ProgType, type ConcreteProbe, type ExpandContext, type Provider } from './provider.js';

/** bpftrace lists profile/interval matches only for these units (probe_matcher.h TIME_UNITS). */
const TIME_UNITS = new Set(['hz', 'ms', 's', 'us']);

const PERF_TYPE_SOFTWARE = 1;
const PERF_COUNT_SW_CPU_CLOCK = 0;
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * `interval:s:1`, `interval:ms:100`, `interval:1s`, `interval:hz:2`, `interval:1000000` (ns), and the
 * same for `profile`. Returns the period in ns or a frequency in Hz.
 */
export function parseTimerSpec(rest: string): { periodNs?: number; hz?: number } | undefined {
  const parts = rest.split(':');
  if (parts.length === 2) {
    const [unit, n] = parts as [string, string];
    if (!/^\d+$/.test(n) || Number(n) <= 0) return undefined;
    if (unit === 'hz') return { hz: Number(n) };
    const scale = UNIT_NS[unit];
    return scale ? { periodNs: Number(n) * scale } : undefined;
  }
  if (parts.length === 1) {
    const m = /^(\d+)(ns|us|ms|s|m|h)?$/.exec(parts[0]!);
    if (!m || Number(m[1]) <= 0) return undefined;
    return { periodNs: Number(m[1]) * UNIT_NS[m[2] ?? 'ns']! };
  }
  return undefined;
}

function makeTimerProvider(name: 'interval' | 'profile', alias: string): Provider {
  return {
    name,
    aliases: [alias],
    // profile samples only the -p/-c process (its perf events are opened for it); interval ignores it.
    pidFilter: name === 'profile' ? 'attach' : 'none',
    listing: {
      // `interval:s:1` has the unit; the one-part form (`interval:1s`, ns counts) is `us` in bpftrace.
      name(p) {
        const parts = p.name.split(':');
        const unit = parts.length === 3 ? parts[1]! : 'us';
        return TIME_UNITS.has(unit) ? `${name}:${unit}:` : undefined;
      },
    },
    completion: { after: (rest) => (rest.includes(':') ? [] : ['s:', 'ms:', 'us:', 'hz:']) },
    expand(raw: string, span: Span, diags: Diagnostics, ctx?: ExpandContext): ConcreteProbe[] {
      const rest = raw.slice(raw.indexOf(':') + 1);
      const spec = parseTimerSpec(rest);
      if (!spec) {
        diags.error('invalid-attach-point', `invalid ${name} "${raw}": expected ${name}:s:N, ${name}:ms:N, ${name}:us:N, ${name}:hz:N or ${name}:Ns`, span);
        return [];
      }
      return [
        {
          provider: name,
          name: `${name}:${rest}`,
          progType: ProgType.PERF_EVENT,
          attach: {
            kind: 'perf',
            perfType: PERF_TYPE_SOFTWARE,
            config: PERF_COUNT_SW_CPU_CLOCK,
            period: spec.periodNs,
            freq: spec.hz,
            // interval fires on one CPU; profile on every CPU.
            cpus: name === 'interval' ? 'first' : 'all',
            // profile samples only the -p/-c process (on every CPU) as bpftrace's does; interval ignores it.
            ...(name === 'profile' && ctx?.pid !== undefined ? { pid: ctx.pid } : {}),
          },
          args: undefined,
          registers: [],
        },
      ];
    },
    // bpftrace's `-l 'profile:*'`: one entry per unit (TIME_UNITS), sorted.
    list: () => ['hz', 'ms', 's', 'us'].map((u) => `${name}:${u}:`),
    attach(probe, progFd, ops) {
      if (probe.attach.kind !== 'perf') throw new Error(`${name} provider given a foreign probe`);
      const a = probe.attach;
      const cpus = a.cpus === 'all' ? ops.onlineCpus() : [ops.onlineCpus()[0] ?? 0];
      const attr = a.freq ? { type: a.perfType, config: a.config, freq: true, sampleFreq: a.freq } : { type: a.perfType, config: a.config, samplePeriod: a.period };
      try {
        return { fds: attachPerfEvents(ops, attr, cpus.map((cpu) => ({ pid: a.pid ?? -1, cpu })), progFd) };
      } catch (e) {
        throw new AttachError(`could not attach ${probe.name}: ${(e as Error).message}`, undefined, e);
      }
    },
  };
}

export const intervalProvider = makeTimerProvider('interval', 'i');
export const profileProvider = makeTimerProvider('profile', 'p');
