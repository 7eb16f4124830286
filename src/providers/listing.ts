import { existsSync } from 'node:fs';
import { recordDeclaration } from '../kernel/btf-declaration.js';
import { kernelBtfTypes } from '../kernel/btf.js';
import { splitAttachPoint } from './attach-point.js';
import { globToRegExp, hasWildcard, type ExpandContext, type Provider } from './provider.js';
import { PROVIDERS, providerFor } from './registry.js';

/**
 * `-l [search]` and `-lv`, as bpftrace's list_probes / ProbeMatcher::get_probes_for_listing do:
 * the search is split on `,`; an empty search means `*:*` and one without `:` means `*:search`;
 * a wildcard (or lone) probe type expands to the kernel probe types, and to the user-space ones
 * (uprobe, usdt) only with -p or an existing target file; each type's matches are sorted and
 * printed as `type:match`, with `-v` followed by its argument lines.
 */

function byName(name: string): Provider | undefined {
  return PROVIDERS.find((p) => p.name === name);
}

export interface ListOptions {
  readonly verbose?: boolean;
  readonly pid?: number;
}

export function listProbes(search: string, opts: ListOptions = {}): string[] {
  const out: string[] = [];
  const patterns = search.split(',').map((s) => s.trim().replace(/\s+/g, ' '));
  for (const pattern0 of patterns.length ? patterns : ['']) {
    if (/^(struct|union) \S+$/.test(pattern0)) {
      out.push(...listRecords(pattern0, opts));
      continue;
    }
    const pattern = pattern0 === '' ? '*:*' : pattern0.includes(':') ? pattern0 : `*:${pattern0}`;
    out.push(...listOne(pattern, opts));
  }
  return out;
}

/**
 * `-l 'struct task_*'`: the kernel's struct (union) names matching; with -v each one's
 * definition from BTF, `vmlinux: struct X {` ... `};` as bpftrace prints it.
 */
function listRecords(pattern: string, opts: ListOptions): string[] {
  const btf = kernelBtfTypes();
  if (!btf) return [];
  const re = globToRegExp(pattern);
  const prefix = pattern.startsWith('union') ? 'union ' : 'struct ';
  const names = hasWildcard(pattern) ? btf.namesWithPrefix(prefix).filter((n) => re.test(n)).sort(byteOrder) : [pattern];
  const out: string[] = [];
  for (const name of names) {
    const t = btf.lookup(name);
    if (!t || t.kind !== 'record') continue;
    if (!opts.verbose) {
      out.push(name);
      continue;
    }
    const lines = recordDeclaration(t);
    out.push(`vmlinux: ${lines[0]}`, ...lines.slice(1));
  }
  return out;
}

function listOne(pattern: string, opts: ListOptions): string[] {
  // Quoted parts keep their colons (`uprobe:bin:cpp:"ns::*"`); the quotes are not part of names.
  const parts = splitAttachPoint(pattern);
  const typePattern = parts[0]!;
  const colon = pattern.indexOf(':');
  let suffix = colon >= 0 ? pattern.slice(colon + 1).replace(/"/g, '') : '';
  if (suffix === '' && parts.length === 1) suffix = '*';
  const specificTarget = parts.length > 1 && !!parts[1] && !hasWildcard(parts[1]) && existsSync(parts[1]);
  const includeUser = (!hasWildcard(typePattern) && typePattern !== '') || opts.pid !== undefined || specificTarget;

  let types: string[];
  if (hasWildcard(typePattern) || parts.length === 1) {
    const re = globToRegExp(typePattern || '*');
    // Probe types listed for a wildcard type: the kernel ones (bpftrace's show_in_kernel_list), the user-space ones only with a target.
    const listed = PROVIDERS.filter((p) => p.listing?.wildcard === 'kernel' || (includeUser && p.listing?.wildcard === 'user'));
    types = listed.map((p) => p.name).filter((t) => re.test(t)).sort();
  } else {
    const p = providerFor(typePattern);
    types = p ? [p.name] : [];
  }

  const ctx: ExpandContext = { pid: opts.pid };
  const results: string[] = [];
  for (const type of types) {
    const provider = byName(type);
    if (!provider) continue;
    let searchInput = suffix;
    let target = '';
    switch (provider.listing?.search) {
      case 'target':
        if (parts.length > 2) target = parts[1]!;
        else searchInput = `*:${suffix}`;
        break;
      case 'name':
        break;
      default:
        if (!searchInput) searchInput = '*';
    }
    // usdt's empty provider (`usdt:bin::name`) is any provider.
    if (type === 'usdt') searchInput = searchInput.replace(/^([^:]*)::/, '$1:*:');
    const re = globToRegExp(`${type}:${searchInput}`);
    // `uprobe:bin:cpp:name`: the language part stays (the provider lists demangled names for it).
    const listPattern = parts.length > 3 ? `${type}:${target || '*'}:${parts.slice(2).map((x) => (x.includes(':') ? `"${x}"` : x)).join(':')}` : `${type}:${target || '*'}:${parts[parts.length - 1]}`;
    const names = [...new Set(provider.list(listPattern, ctx))].filter((n) => re.test(n)).sort(byteOrder);
    for (const n of names) {
      results.push(n);
      if (opts.verbose && provider.describe) results.push(...provider.describe(n));
    }
  }
  return results;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
