import { readdirSync } from 'node:fs';
import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { splitAttachPoint } from './attach-point.js';
import { AttachError, attachPerfEvents, ProgType, type Attachment, type ConcreteProbe, type ExpandContext, type KernelOps, type Provider } from './provider.js';

/**
 * `watchpoint:ADDR:LEN:MODE` (`w:`): a PERF_EVENT program on a hardware breakpoint
 * (perf_event_open with PERF_TYPE_BREAKPOINT) that fires when ADDR is read, written or executed.
 * As in bpftrace 0.26 (attachpoint_passes.cpp, attached_probe.cpp):
 * - ADDR is a non-zero integer (decimal, 0x hex), LEN one of 1, 2, 4, 8, MODE a combination of
 *   r, w, x without repeats, sorted, and one the architecture supports (x86-64: rw, w, x);
 * - with -p/-c the breakpoint is set on every existing thread of that process (one event per
 *   thread, any CPU, inherited by threads created later) and the address is in its memory;
 *   without, on every online CPU for every task (kernel addresses, e.g. `jiffies`);
 * - the probe is named `watchpoint[:TARGET]:ADDR:LEN:MODE` with ADDR in decimal and TARGET
 *   `/proc/PID/exe` (bpftrace: the resolved binary of -c, `/proc/PID/exe` for -p).
 * The program runs after the access (a trap), with the registers of the accessing thread.
 */

export const PERF_TYPE_BREAKPOINT = 5;
/** HW_BREAKPOINT_* (include/uapi/linux/hw_breakpoint.h). */
const BP = { r: 1, w: 2, x: 4 } as const;
/** The modes x86-64 debug registers support (Intel SDM vol. 3, 17.2.4): there is no read-only watchpoint. */
export const WATCHPOINT_MODES: readonly string[] = ['rw', 'w', 'x'];

/** Parses bpftrace's integers: decimal, 0x hex, 0b binary, leading-0 octal. */
function toUint(s: string): bigint | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return BigInt(s.toLowerCase());
  if (/^0[bB][01]+$/.test(s)) return BigInt(`0b${s.slice(2)}`);
  if (/^0[0-7]+$/.test(s)) return BigInt(`0o${s.slice(1)}`);
  if (/^\d+$/.test(s)) return BigInt(s);
  return undefined;
}

/** The thread ids of a process (/proc/PID/task). */
export function processThreads(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`)
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .sort((a, b) => a - b);
}

export const watchpointProvider: Provider = {
  name: 'watchpoint',
  aliases: ['w'],
  pidFilter: 'attach',
  listing: { name: () => undefined },
  expand(raw: string, span: Span, diags: Diagnostics, ctx?: ExpandContext): ConcreteProbe[] {
    const parts = splitAttachPoint(raw);
    if (parts.length !== 4) {
      diags.error('invalid-attach-point', `watchpoint probe type requires 3 arguments, found ${parts.length - 1}`, span, ['watchpoint:ADDRESS:LENGTH:MODE, e.g. watchpoint:0x10000000:8:w']);
      return [];
    }
    const addr = toUint(parts[1]!);
    if (addr === undefined) {
      diags.error('invalid-attach-point', `Invalid function/address argument: invalid integer: ${parts[1]}`, span);
      return [];
    }
    const len = toUint(parts[2]!);
    if (len === undefined) {
      diags.error('invalid-attach-point', `Invalid length argument: invalid integer: ${parts[2]}`, span);
      return [];
    }
    let ok = true;
    if (addr === 0n) {
      diags.error('invalid-attach-point', 'watchpoint must be attached to a non-zero address', span);
      ok = false;
    }
    if (len !== 1n && len !== 2n && len !== 4n && len !== 8n) {
      diags.error('invalid-attach-point', 'watchpoint length must be one of (1,2,4,8)', span);
      ok = false;
    }
    const mode = [...parts[3]!].sort().join('');
    if (mode === '' || [...mode].some((c) => c !== 'r' && c !== 'w' && c !== 'x')) {
      diags.error('invalid-attach-point', 'watchpoint mode must be combination of (r,w,x)', span);
      ok = false;
    } else if ([...mode].some((c, i) => i > 0 && mode[i - 1] === c)) {
      diags.error('invalid-attach-point', 'watchpoint modes may not be duplicated', span);
      ok = false;
    } else if (!WATCHPOINT_MODES.includes(mode)) {
      diags.error('invalid-attach-point', `invalid watchpoint mode: ${mode}`, span, [`supported modes: ${WATCHPOINT_MODES.join(',')}`]);
      ok = false;
    }
    if (!ok) return [];
    const pid = ctx?.pid;
    const target = pid !== undefined ? `/proc/${pid}/exe:` : '';
    return [
      {
        provider: 'watchpoint',
        name: `watchpoint:${target}${addr}:${len}:${mode}`,
        progType: ProgType.PERF_EVENT,
        attach: { kind: 'watchpoint', addr: `0x${addr.toString(16)}`, len: Number(len), access: mode, pid },
        args: undefined,
        registers: [],
      },
    ];
  },
  // bpftrace lists no watchpoints (there is nothing to enumerate).
  list: () => [],
  attach(p: ConcreteProbe, progFd: number, ops: KernelOps): Attachment {
    if (p.attach.kind !== 'watchpoint') throw new Error('watchpoint provider given a foreign probe');
    const a = p.attach;
    let bpType = 0;
    for (const c of a.access) bpType |= BP[c as keyof typeof BP] ?? 0;
    const attr = {
      type: PERF_TYPE_BREAKPOINT,
      config: 0,
      bpType,
      bpAddr: BigInt(a.addr),
      // An execution breakpoint covers one instruction: the kernel wants sizeof(long).
      bpLen: bpType & BP.x ? 8 : a.len,
      samplePeriod: 1,
      // Threads the process creates after the attach inherit the breakpoint.
      inherit: true,
    };
    let targets: { pid: number; cpu: number }[];
    if (a.pid !== undefined) {
      let tids: number[];
      try {
        tids = processThreads(a.pid);
      } catch (e) {
        throw new AttachError(`cannot attach ${p.name}: process ${a.pid} does not exist`, undefined, e);
      }
      targets = tids.map((tid) => ({ pid: tid, cpu: -1 }));
    } else {
      targets = ops.onlineCpus().map((cpu) => ({ pid: -1, cpu }));
    }
    const fds: number[] = [];
    const errors: string[] = [];
    for (const target of targets) {
      try {
        fds.push(...attachPerfEvents(ops, attr, [target], progFd));
      } catch (e) {
        // A thread may have exited since it was listed: only no event at all is a failure.
        errors.push((e as Error).message);
      }
    }
    if (fds.length === 0) {
      const msg = errors[0] ?? 'no thread to attach to';
      let hint: string | undefined;
      if (/ENOSPC/.test(msg)) hint = 'no more hardware debug registers left (x86-64 has 4, shared by every watchpoint on a CPU)';
      else if (/ENOENT|EOPNOTSUPP|ENODEV/.test(msg)) hint = 'this kernel or machine has no hardware breakpoint support (/sys/bus/event_source/devices/breakpoint)';
      else if (/EINVAL/.test(msg)) hint = 'the address must be aligned to the length, and mapped in the traced process (or a kernel address without -p/-c)';
      throw new AttachError(`cannot attach ${p.name}: ${msg}`, hint);
    }
    return { fds };
  },
};
