/**
 * The compiled-script checks that guard the runtime: the unsafe-helper scan over raw BPF
 * instructions (runtime/session/unsafe-uses.ts) and the schema check of cached scripts
 * (runtime/compile/compiled-script-check.ts), on hand-built instruction bytes and scripts.
 */
import test from 'ava';
import { unsafeUses } from '../../../runtime/session/unsafe-uses.js';
import { checkCompiledScript } from '../../../runtime/compile/compiled-script-check.js';
import type { CompiledScript } from '../../../src/contract/index.js';

/** One 8-byte `struct bpf_insn`. */
function insn(code: number, regs: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8(regs, 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}
const EXIT = insn(0x95, 0, 0, 0);
const MOV_R0_0 = insn(0xb7, 0, 0, 0);
const call = (id: number, srcReg = 0): Buffer => insn(0x85, srcReg << 4, 0, id);

function script(insns: Buffer[], events: CompiledScript['events'] = []): CompiledScript {
  return {
    format: 1,
    maps: [
      { id: 0, name: '.ringbuf', bpfType: 27, keySize: 0, valueSize: 0, maxEntries: 4096 },
      { id: 1, name: '.lost', bpfType: 6, keySize: 4, valueSize: 8, maxEntries: 1 },
    ],
    programs: [{
      name: 'BEGIN_0',
      probe: { provider: 'special', name: 'BEGIN', progType: 1, attach: { kind: 'special', which: 'BEGIN' }, args: undefined, registers: [] },
      insns: Buffer.concat(insns).toString('base64'),
    }],
    events,
    ringbufMap: 0,
    lostMap: 1,
    warnings: [],
  };
}

test('helper calls that change the system are found in the instructions', (t) => {
  t.deepEqual(unsafeUses(script([MOV_R0_0, EXIT])), []);
  t.deepEqual(unsafeUses(script([call(36), call(58), call(109), call(117), EXIT])), ['bpf_probe_write_user', 'bpf_override_return', 'bpf_send_signal', 'bpf_send_signal_thread']);
  // A call to a subprogram (src_reg 1) with the same imm is not a helper call; nor is a non-call opcode.
  t.deepEqual(unsafeUses(script([call(109, 1), insn(0xb7, 0, 0, 109), EXIT])), []);
  // Safe helpers (bpf_ktime_get_ns 5, bpf_ringbuf_output 130) are not reported.
  t.deepEqual(unsafeUses(script([call(5), call(130), EXIT])), []);
});

test('system() events are unsafe, other events are not', (t) => {
  t.deepEqual(unsafeUses(script([EXIT], [{ kind: 'system', format: 'id', args: [] }])), ['system()']);
  t.deepEqual(unsafeUses(script([EXIT], [{ kind: 'cat', format: '/etc/hostname', args: [] }])), []);
});

test('the schema check accepts a well-formed script and names what is wrong in a malformed one', (t) => {
  const good = script([MOV_R0_0, EXIT], [{ kind: 'printf', format: '%d %s\n', args: [{ kind: 'int', bits: 64, signed: true }, { kind: 'str', size: 64 }] }]);
  t.is(checkCompiledScript(good), undefined);
  t.regex(checkCompiledScript({ ...good, programs: [] }) ?? '', /script\.programs: empty/);
  t.regex(checkCompiledScript({ ...good, events: undefined }) ?? '', /script\.events: not an array/);
  t.regex(checkCompiledScript({ ...good, programs: [{ ...good.programs[0], insns: Buffer.alloc(12).toString('base64') }] }) ?? '', /insns: not base64 BPF instructions/);
  t.regex(checkCompiledScript({ ...good, events: [{ kind: 'printf', format: 1, args: [] }] }) ?? '', /events\[0\]\.format: not a string/);
  t.regex(checkCompiledScript({ ...good, events: [{ kind: 'printf', format: '', args: [{ kind: 'int', bits: 7, signed: true }] }] }) ?? '', /args\[0\]\.bits/);
  t.regex(checkCompiledScript({ ...good, lostMap: 7 }) ?? '', /lostMap: not a map id/);
  t.regex(checkCompiledScript({ ...good, maps: [good.maps[0], { ...good.maps[1], id: 0 }] }) ?? '', /used twice/);
  t.regex(checkCompiledScript(null) ?? '', /not an object/);
  t.regex(checkCompiledScript({ ...good, imports: [{ path: '/x.bt', sha256: 'abc' }] }) ?? '', /not a SHA-256/);
});
