/**
 * C++ (Itanium ABI) symbol demangling with the C++ runtime's abi::__cxa_demangle (the native
 * addon): `_ZN2ns1K2goEi` -> `ns::K::go(int)`. Used by uprobe's `cpp:` names in the compile worker.
 */
import { bpf } from '../../native/index.js';

const cache = new Map<string, string | undefined>();

/** The C++ name `name` stands for, or undefined when it is not a mangled C++ name. */
export function demangle(name: string): string | undefined {
  if (!name.startsWith('_Z')) return undefined;
  if (!cache.has(name)) cache.set(name, bpf.demangle(name) ?? undefined);
  return cache.get(name);
}

/** A demangled name without its parameter list: `ns::K::go(int)` -> `ns::K::go` (bpftrace's `cpp:` names). */
export function withoutParameters(demangled: string): string {
  const paren = demangled.indexOf('(');
  return paren < 0 ? demangled : demangled.slice(0, paren);
}
