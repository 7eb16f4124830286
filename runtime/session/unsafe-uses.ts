import { Helper, type CompiledScript } from '../../src/contract/index.js';

/**
 * BPF helpers that change the traced system rather than observe it: what bpftrace's unsafe
 * functions (signal, override) and a forged program could call.
 */
const UNSAFE_HELPERS: ReadonlyMap<number, string> = new Map([
  [Helper.probe_write_user, 'bpf_probe_write_user'],
  [Helper.override_return, 'bpf_override_return'],
  [Helper.send_signal, 'bpf_send_signal'],
  [Helper.send_signal_thread, 'bpf_send_signal_thread'],
  // A packet probe's redirect(): the packet leaves through another interface.
  [Helper.redirect, 'bpf_redirect'],
]);

/** `BPF_JMP | BPF_CALL`: a call; src_reg 0 makes it a helper call with the helper id in imm. */
const CALL_OPCODE = 0x85;

/**
 * The unsafe things a compiled script does, read from its content (never from a flag it carries):
 * the helper calls in its instructions and the system() events in its event table. Empty when it
 * is safe. The runtime refuses to load a script with any unless `--unsafe` was given, whichever
 * way the script arrived (compiled now, or read from the compile cache).
 */
export function unsafeUses(script: CompiledScript): string[] {
  const found = new Set<string>();
  for (const p of script.programs) {
    const insns = Buffer.from(p.insns, 'base64');
    // Every 8-byte slot is checked: the second half of an ld_imm64 has opcode 0, never a call.
    for (let at = 0; at + 8 <= insns.length; at += 8) {
      if (insns[at] !== CALL_OPCODE || insns[at + 1]! >> 4 !== 0) continue;
      const helper = UNSAFE_HELPERS.get(insns.readInt32LE(at + 4));
      if (helper) found.add(helper);
    }
  }
  if (script.events.some((e) => e.kind === 'system')) found.add('system()');
  return [...found];
}
