import type { CMember, CType } from '../contract/index.js';
import { cTypeName } from './btf.js';

/**
 * A struct or union from BTF as C text, for `-lv 'struct task_struct'` (bpftrace's listing prints
 * `vmlinux: struct X {`, one member a line, `};`). The C type model keeps no typedef names or
 * qualifiers, so a `pid_t` member prints as `int` and `const` is not shown; anonymous structs and
 * unions are printed inline, bitfields with their width, function pointers as `void (*name)()`.
 */
export function recordDeclaration(t: CType & { kind: 'record' }, indent = '        '): string[] {
  const lines = [`${t.union ? 'union' : 'struct'} ${t.name} {`];
  lines.push(...members(t, indent));
  lines.push('};');
  return lines;
}

function members(t: CType & { kind: 'record' }, indent: string): string[] {
  const out: string[] = [];
  for (const m of t.members()) {
    if (m.name === '' && m.type.kind === 'record') {
      out.push(`${indent}${m.type.union ? 'union' : 'struct'} {`);
      out.push(...members(m.type, indent + '        '));
      out.push(`${indent}};`);
      continue;
    }
    out.push(`${indent}${declarator(m)};`);
  }
  return out;
}

/** `TYPE name`, with C's declarator syntax for pointers, arrays and function pointers. */
function declarator(m: CMember): string {
  let name = m.name;
  let t = m.type;
  let suffix = '';
  while (t.kind === 'array') {
    suffix += `[${t.count}]`;
    t = t.elem;
  }
  let stars = '';
  while (t.kind === 'ptr') {
    const target = t.target();
    if (target.kind === 'func') return `void (*${stars}${name}${suffix})()`;
    stars += '*';
    t = target;
  }
  name = `${stars}${name}${suffix}`;
  const base = t.kind === 'func' ? 'void' : cTypeName(t);
  return `${base} ${name}${m.bitSize ? `: ${m.bitSize}` : ''}`;
}
