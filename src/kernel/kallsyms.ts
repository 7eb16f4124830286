import { readFileSync } from 'node:fs';

/**
 * Whether /proc/kallsyms lists data symbol `name` (type d, D, b, B, r or R). The kernel resolves a
 * ksym (`ld_imm64` of a BTF variable) through kallsyms, which lists variables only with
 * CONFIG_KALLSYMS_ALL: without it percpu_kaddr's variables have no address.
 */
export function kallsymsHasData(name: string): boolean {
  let text: string;
  try {
    text = readFileSync('/proc/kallsyms', 'utf8');
  } catch {
    return false;
  }
  return new RegExp(`^[0-9a-f]+ [dDbBrR] ${name.replace(/[^A-Za-z0-9_]/g, '')}$`, 'm').test(text);
}
