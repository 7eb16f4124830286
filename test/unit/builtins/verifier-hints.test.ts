/**
 * explainLoadFailure's reading of verifier logs (runtime/session/verifier-hints.ts). The logs are real:
 * captured on Linux 6.18 by loading small KPROBE programs (raw instructions) that the verifier
 * refuses; the "combined stack size" line is the kernel's format (kernel/bpf/verifier.c
 * check_max_stack_depth), which needs subprograms to provoke.
 */
import test from 'ava';
import { verifierHint, verifierReason } from '../../../runtime/session/verifier-hints.js';

const POINTER_OR = `0: R1=ctx() R10=fp0
0: (bf) r1 = r10                      ; R1=fp0 R10=fp0
1: (47) r1 |= 1
R1 bitwise operator |= on pointer prohibited
processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

const STACK_520 = `0: R1=ctx() R10=fp0
0: (7a) *(u64 *)(r10 -520) = 0
invalid write to stack R10 off=-520 size=8
processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

const HELPER = `0: R1=ctx() R10=fp0
0: (85) call bpf_skb_load_bytes#26
program of this type cannot use helper bpf_skb_load_bytes#26
processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

const UNKNOWN_HELPER = `0: R1=ctx() R10=fp0
0: (85) call unknown#9999
invalid func unknown#9999
processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

const LOOP = `0: R1=ctx() R10=fp0
0: (b7) r0 = 0                        ; R0=0
1: (25) if r0 > 0x5 goto pc+1         ; R0=0
2: (05) goto pc-2
1: (25) if r0 > 0x5 goto pc+1         ; R0=0
2: (05) goto pc-2
infinite loop detected at insn 1
cur state: R0=0 R1=ctx() R10=fp0
old state: R0=P0 R1=ctx() R10=fp0
processed 10 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0
`;

const UNREACHABLE = `unreachable insn 2
processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

const COMBINED = `combined stack size of 2 calls is 544. Too large
verification time 52 usec
stack depth 288+256
processed 40 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 2 mark_read 1
`;

test('the reason is the last line that is not statistics, an instruction or a state', (t) => {
  t.is(verifierReason(POINTER_OR), 'R1 bitwise operator |= on pointer prohibited');
  t.is(verifierReason(STACK_520), 'invalid write to stack R10 off=-520 size=8');
  t.is(verifierReason(LOOP), 'infinite loop detected at insn 1');
  t.is(verifierReason(COMBINED), 'combined stack size of 2 calls is 544. Too large');
  t.is(verifierReason(''), undefined);
});

test('only a known cause gets a hint; "|= on pointer" gets none (it used to get "too complex")', (t) => {
  const hint = (log: string) => verifierHint(verifierReason(log)!, 'uprobe');
  t.is(hint(POINTER_OR), undefined);
  t.is(hint(UNKNOWN_HELPER), undefined);
  t.is(hint(UNREACHABLE), undefined);
  t.regex(hint(STACK_520)!, /512 bytes of BPF stack/);
  t.regex(hint(COMBINED)!, /512 bytes of BPF stack/);
  t.is(hint(HELPER), 'a function used in this probe is not available to uprobe probes');
  t.regex(hint(LOOP)!, /loop in this probe may not end/);
  t.regex(verifierHint('BPF program is too large. Processed 1000001 insn', 'kprobe')!, /too complex for the verifier/);
  // A stack access inside the 512 bytes is not a stack-size problem.
  t.is(verifierHint('invalid read from stack R10 off=-16 size=8', 'kprobe'), undefined);
  // "unbounded memory access" is not a loop.
  t.is(verifierHint('R1 unbounded memory access, make sure to bounds check any such access', 'kprobe'), undefined);
});
