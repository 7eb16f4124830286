import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { splitAttachPoint } from './attach-point.js';
import { AttachError, attachPerfEvents, globToRegExp, hasWildcard, ProgType, type ConcreteProbe, type ExpandContext, type KernelOps, type Provider } from './provider.js';

/**
 * `software:EVENT[:COUNT]` and `hardware:EVENT[:COUNT]`: a PERF_EVENT program on a counting perf
 * event on every online CPU (of the -p process, if any), run once every COUNT events. Event
 * names, aliases and default counts are bpftrace's (probe_matcher.h).
 */

interface PerfEventItem {
  readonly path: string;
  readonly alias: string;
  readonly config: number;
  readonly defaultPeriod: number;
}

const PERF_TYPE_HARDWARE = 0;
const PERF_TYPE_SOFTWARE = 1;

export const SOFTWARE_EVENTS: readonly PerfEventItem[] = [
  { path: 'alignment-faults', alias: '', config: 7, defaultPeriod: 1 },
  { path: 'bpf-output', alias: '', config: 10, defaultPeriod: 1 },
  { path: 'context-switches', alias: 'cs', config: 3, defaultPeriod: 1000 },
  { path: 'cpu-clock', alias: 'cpu', config: 0, defaultPeriod: 1000000 },
  { path: 'cpu-migrations', alias: '', config: 4, defaultPeriod: 1 },
  { path: 'dummy', alias: '', config: 9, defaultPeriod: 1 },
  { path: 'emulation-faults', alias: '', config: 8, defaultPeriod: 1 },
  { path: 'major-faults', alias: '', config: 6, defaultPeriod: 1 },
  { path: 'minor-faults', alias: '', config: 5, defaultPeriod: 100 },
  { path: 'page-faults', alias: 'faults', config: 2, defaultPeriod: 100 },
  { path: 'task-clock', alias: '', config: 1, defaultPeriod: 1 },
];

export const HARDWARE_EVENTS: readonly PerfEventItem[] = [
  { path: 'backend-stalls', alias: '', config: 8, defaultPeriod: 1000000 },
  { path: 'branch-instructions', alias: 'branches', config: 4, defaultPeriod: 100000 },
  { path: 'branch-misses', alias: '', config: 5, defaultPeriod: 100000 },
  { path: 'bus-cycles', alias: '', config: 6, defaultPeriod: 100000 },
  { path: 'cache-misses', alias: '', config: 3, defaultPeriod: 1000000 },
  { path: 'cache-references', alias: '', config: 2, defaultPeriod: 1000000 },
  { path: 'cpu-cycles', alias: 'cycles', config: 0, defaultPeriod: 1000000 },
  { path: 'frontend-stalls', alias: '', config: 7, defaultPeriod: 1000000 },
  { path: 'instructions', alias: '', config: 1, defaultPeriod: 1000000 },
  { path: 'ref-cycles', alias: '', config: 9, defaultPeriod: 1000000 },
];

function makePerfEventProvider(name: 'software' | 'hardware', alias: string, perfType: number, items: readonly PerfEventItem[]): Provider {
  return {
    name,
    aliases: [alias],
    pidFilter: 'attach',
    listing: { wildcard: 'kernel', name: (p) => `${name}:${p.name.split(':')[1]}:` },
    expand(raw: string, span: Span, diags: Diagnostics, ctx?: ExpandContext): ConcreteProbe[] {
      const parts = splitAttachPoint(raw);
      if ((parts.length !== 2 && parts.length !== 3) || !parts[1]) {
        diags.error('invalid-attach-point', `invalid ${name} probe "${raw}": expected ${name}:event[:count]`, span);
        return [];
      }
      const event = parts[1];
      let period: number | undefined;
      if (parts.length === 3) {
        if (!/^\d+$/.test(parts[2]!) || Number(parts[2]) <= 0) {
          diags.error('invalid-attach-point', `${name} probe count must be a positive integer, got "${parts[2]}"`, span);
          return [];
        }
        period = Number(parts[2]);
      }
      const matches = hasWildcard(event)
        ? items.filter((i) => globToRegExp(event).test(i.path))
        : items.filter((i) => i.path === event || i.alias === event);
      if (matches.length === 0) {
        diags.error('unknown-probe', `${event} is not a ${name} probe`, span, [`${name} events: ${items.map((i) => i.path + (i.alias ? ` (${i.alias})` : '')).join(', ')}`]);
        return [];
      }
      return matches.map((item) => {
        const shown = hasWildcard(event) ? item.path : event;
        return {
          provider: name,
          name: `${name}:${shown}:${period ?? item.defaultPeriod}`,
          progType: ProgType.PERF_EVENT,
          attach: { kind: 'perf', perfType, config: item.config, period: period ?? item.defaultPeriod, cpus: 'all', pid: ctx?.pid },
          args: undefined,
          registers: [],
        };
      });
    },
    list: () => items.flatMap((i) => (i.alias ? [i.path, i.alias] : [i.path])).sort().map((e) => `${name}:${e}:`),
    attach(p: ConcreteProbe, progFd: number, ops: KernelOps) {
      if (p.attach.kind !== 'perf') throw new Error(`${name} provider given a foreign probe`);
      const a = p.attach;
      let fds: number[];
      try {
        fds = attachPerfEvents(ops, { type: a.perfType, config: a.config, samplePeriod: a.period }, ops.onlineCpus().map((cpu) => ({ pid: a.pid ?? -1, cpu })), progFd);
      } catch (e) {
        const msg = (e as Error).message;
        if (name === 'hardware' && /ENOENT|EOPNOTSUPP|ENODEV/.test(msg)) {
          throw new AttachError(`cannot attach ${p.name}: this machine has no hardware performance counters (no CPU PMU; perf_event_open: ${msg})`, 'software:cpu-clock or profile:hz:N sample on a timer instead', e);
        }
        throw new AttachError(`cannot attach ${p.name}: ${msg}`, undefined, e);
      }
      return { fds };
    },
  };
}

export const softwareProvider = makePerfEventProvider('software', 's', PERF_TYPE_SOFTWARE, SOFTWARE_EVENTS);
export const hardwareProvider = makePerfEventProvider('hardware', 'h', PERF_TYPE_HARDWARE, HARDWARE_EVENTS);
