/**
 * Reading a BPF verifier log when the kernel refuses a program: which line says why, and a hint
 * only when that line has a known cause the user can act on. Messages are the kernel's
 * (kernel/bpf/verifier.c); anything else gets no hint rather than a wrong one (a rejection the
 * user cannot fix, such as `R1 bitwise operator |= on pointer prohibited`, is a tsbpf bug).
 */

/** Lines every log ends with, whatever the outcome: statistics, not the reason. */
const TRAILER = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|mark_read)/;

/**
 * The line that says why: the last line that is not a statistics trailer, an instruction dump
 * (`12: (85) call ...`, `; source`) or a register state (`R1=...`, `from 3 to 5: ...`).
 */
export function verifierReason(log: string): string | undefined {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (TRAILER.test(l)) continue;
    if (/^\d+: (\(|R\d)/.test(l) || l.startsWith(';') || /^from \d+ to \d+:/.test(l) || /^R\d+(_\w)?=/.test(l)) continue;
    // After "infinite loop detected": the two states compared.
    if (/^(cur|old) state:/.test(l)) continue;
    return l;
  }
  return undefined;
}

/** A hint for the reason line, for a probe of `provider`; undefined when there is no good one. */
export function verifierHint(reason: string, provider: string): string | undefined {
  // The 512-byte stack: "combined stack size of 2 calls is 544. Too large", or an access below -512.
  if (/combined stack size of \d+ calls is \d+\. Too large/.test(reason)) return STACK_HINT;
  const off = /^invalid.* stack R\d+ off=(-\d+)/.exec(reason);
  if (off && Number(off[1]) < -512) return STACK_HINT;
  // Helpers this program type may not call.
  if (/^unknown func \S+#\d+/.test(reason) || /^program of this type cannot use helper \S+#\d+/.test(reason)) {
    return `a function used in this probe is not available to ${provider} probes`;
  }
  // Loops the verifier cannot prove to end.
  if (/^back-edge from insn \d+ to \d+/.test(reason) || /^infinite loop detected at insn \d+/.test(reason)) {
    return 'a loop in this probe may not end: bound it (for ($i : 0..N)) or use unroll(N)';
  }
  // Too many instructions or states to explore.
  if (/^BPF program is too large\. Processed \d+ insn/.test(reason) || /^The sequence of \d+ jumps is too complex\./.test(reason) || /^complexity limit/.test(reason)) {
    return 'the probe is too complex for the verifier: split it into smaller probes, or use fewer loop iterations';
  }
  return undefined;
}

const STACK_HINT = 'the probe uses more than the 512 bytes of BPF stack: use fewer or shorter strings (str(x, N)) and tuples, or a lower config on_stack_limit (0 puts every string, tuple and record in the per-CPU scratch map)';
