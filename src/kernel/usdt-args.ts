import type { UsdtArgSpec } from '../contract/index.js';

/**
 * USDT argument operands as `sys/sdt.h` writes them on x86-64 (GNU as syntax), one per argument,
 * space-separated: `SIZE@OPERAND` where a negative SIZE means signed and OPERAND is `%reg`,
 * `$imm`, or `disp(%base[,%index[,scale]])`. Registers map to their `struct pt_regs` offsets;
 * 8/16/32-bit names read the low bytes of the same slot (`%ah` the second byte).
 */

const REG64: Record<string, number> = {
  r15: 0, r14: 8, r13: 16, r12: 24, rbp: 32, rbx: 40, r11: 48, r10: 56, r9: 64, r8: 72,
  rax: 80, rcx: 88, rdx: 96, rsi: 104, rdi: 112, rip: 128, rsp: 152,
};

/** pt_regs offset of a register name of any width, or undefined. */
export function registerOffset(name: string): number | undefined {
  if (name in REG64) return REG64[name];
  const legacy: Record<string, string> = {
    eax: 'rax', ax: 'rax', al: 'rax', ebx: 'rbx', bx: 'rbx', bl: 'rbx', ecx: 'rcx', cx: 'rcx', cl: 'rcx',
    edx: 'rdx', dx: 'rdx', dl: 'rdx', esi: 'rsi', si: 'rsi', sil: 'rsi', edi: 'rdi', di: 'rdi', dil: 'rdi',
    ebp: 'rbp', bp: 'rbp', bpl: 'rbp', esp: 'rsp', sp: 'rsp', spl: 'rsp', eip: 'rip',
  };
  if (legacy[name]) return REG64[legacy[name]!];
  const high: Record<string, string> = { ah: 'rax', bh: 'rbx', ch: 'rcx', dh: 'rdx' };
  if (high[name]) return REG64[high[name]!]! + 1;
  const m = /^(r(?:8|9|1[0-5]))[dwb]?$/.exec(name);
  return m ? REG64[m[1]!] : undefined;
}

/** Parses one operand (`-4@%edi`); a string explains what is not supported. */
export function parseUsdtArg(text: string): UsdtArgSpec | string {
  const m = /^(-?)(1|2|4|8)@(.+)$/.exec(text);
  if (!m) return `unsupported USDT argument "${text}"`;
  const signed = m[1] === '-';
  const size = Number(m[2]);
  const op = m[3]!;
  if (op.startsWith('%')) {
    const off = registerOffset(op.slice(1));
    return off === undefined ? `unknown register in USDT argument "${text}"` : { kind: 'reg', size, signed, regOffset: off };
  }
  if (op.startsWith('$')) {
    const v = op.slice(1);
    if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(v)) return `unsupported USDT constant "${text}"`;
    const neg = v.startsWith('-');
    const abs = BigInt(neg ? v.slice(1) : v);
    return { kind: 'const', size, signed, value: String(neg ? -abs : abs) };
  }
  const mm = /^(-?(?:0x[0-9a-fA-F]+|\d+))?\((%[a-z0-9]+)?(?:,(%[a-z0-9]+)(?:,(1|2|4|8))?)?\)$/.exec(op);
  if (!mm) return `unsupported USDT argument "${text}" (symbolic or segment operands are not supported)`;
  const dispText = mm[1] ?? '0';
  const dneg = dispText.startsWith('-');
  const disp = BigInt(dneg ? dispText.slice(1) : dispText) * (dneg ? -1n : 1n);
  const base = mm[2] ? registerOffset(mm[2].slice(1)) : undefined;
  if (mm[2] && base === undefined) return `unknown register in USDT argument "${text}"`;
  if (mm[2] === '%rip') return `unsupported USDT argument "${text}" (rip-relative)`;
  const index = mm[3] ? registerOffset(mm[3].slice(1)) : undefined;
  if (mm[3] && index === undefined) return `unknown register in USDT argument "${text}"`;
  return { kind: 'mem', size, signed, regOffset: base, disp: String(disp), ...(index !== undefined ? { indexRegOffset: index, scale: Number(mm[4] ?? 1) } : {}) };
}

/** All operands of a note's argument string. */
export function parseUsdtArgs(args: string): (UsdtArgSpec | string)[] {
  return args.trim() ? args.trim().split(/\s+/).map(parseUsdtArg) : [];
}
