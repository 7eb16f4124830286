/**
 * bpftrace functions tsbpf knows but does not implement, each refused in one line that says why
 * and what to use instead (rather than "unknown function"):
 * - dw_ustack: DWARF (.eh_frame) unwinding of user stacks; tsbpf has no DWARF unwinder, and a
 *   frame-pointer stack in its place would be wrong without saying so for code built without them.
 * - skboutput: bpf_skb_output sends packets through a perf event array, which tsbpf does not
 *   read (its events go through one ring buffer), and needs fentry/fexit (TRACING) programs.
 */
import { noneType } from '../types/types.js';
import type { LibFunction } from './library.js';

const dwUstack: LibFunction = {
  name: 'dw_ustack',
  bare: true,
  // Refused when lowered: no value.
  type: () => noneType,
  expr(call, cx) {
    cx.diags.error('unsupported', 'dw_ustack is not implemented in tsbpf (no DWARF .eh_frame unwinder): use ustack, which follows frame pointers (build the program with -fno-omit-frame-pointer)', call.span);
    return cx.fail();
  },
};

const TRACING_PROVIDERS: ReadonlySet<string> = new Set(['fentry', 'fexit']);

const skboutput: LibFunction = {
  name: 'skboutput',
  type: () => noneType,
  expr(call, cx) {
    if (!TRACING_PROVIDERS.has(cx.probe.provider)) {
      cx.diags.error('unsupported', `skboutput() needs an sk_buff the kernel typed (fentry/fexit probes), not available in ${cx.probe.provider} probes`, call.span);
    } else {
      cx.diags.error('unsupported', 'skboutput() is not implemented in tsbpf: bpf_skb_output sends packets through a perf event array, which tsbpf does not read (it uses one ring buffer)', call.span);
    }
    return cx.fail();
  },
};

export const REFUSED_FUNCTIONS: readonly LibFunction[] = [dwUstack, skboutput];
