import { accessSync, constants, existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ET_DYN, ET_EXEC, elfType } from './elf.js';

/**
 * Finding the files user-space probes attach to, as bpftrace does: `uprobe:/bin/bash:...`,
 * `uprobe:bash:...` (through PATH), `uprobe:libc:...` (`lib*` names through the process's mappings
 * with -p, else /etc/ld.so.cache, else the standard library directories), globs, and
 * `/proc/PID/exe` when -p names the process.
 */

const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** ELF executables (with exec permission) and shared objects qualify as probe targets. */
export function isProbeTarget(path: string): boolean {
  const t = elfType(path);
  return (t === ET_EXEC && isExecutable(path)) || t === ET_DYN;
}

/** `/proc/PID/root` prefix for a process in another mount namespace, '' otherwise. */
function pidRoot(pid: number | undefined): string {
  if (pid === undefined) return '';
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`) !== readlinkSync('/proc/self/ns/mnt') ? `/proc/${pid}/root` : '';
  } catch {
    return '';
  }
}

/** Expands `*` and `?` in each path segment (no `**`), sorted. */
export function expandGlob(pattern: string): string[] {
  const abs = isAbsolute(pattern) ? pattern : resolve(pattern);
  const parts = abs.split('/').filter(Boolean);
  let current = ['/'];
  for (const part of parts) {
    const next: string[] = [];
    if (!/[*?]/.test(part)) {
      for (const dir of current) next.push(join(dir, part));
    } else {
      const re = new RegExp(`^${part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      for (const dir of current) {
        let entries: string[];
        try {
          entries = readdirSync(dir);
        } catch {
          continue;
        }
        for (const e of entries.sort()) if (re.test(e)) next.push(join(dir, e));
      }
    }
    current = next.filter((p) => existsSync(p));
  }
  return current;
}

/**
 * bpftrace's resolve_binary_path: the target itself, and `$PATH/target` when it has no slash;
 * globs expanded; only ELF executables and shared objects kept. Paths are absolute.
 */
export function resolveBinaryPath(target: string, pid?: number): string[] {
  const candidates = [target];
  if (!target.includes('/')) for (const dir of (process.env['PATH'] ?? '').split(':').filter(Boolean)) candidates.push(join(dir, target));
  const hasWildcard = /[*?]/.test(target);
  const expanded = hasWildcard ? candidates.flatMap(expandGlob) : candidates;
  const root = pidRoot(pid);
  const out: string[] = [];
  for (const p of expanded) {
    const path = root && !p.startsWith('/proc/') ? root + resolve(p) : p;
    if (isProbeTarget(path)) out.push(isAbsolute(path) ? path : resolve(path));
  }
  return [...new Set(out)];
}

interface LdCacheEntry {
  readonly name: string;
  readonly path: string;
  readonly flags: number;
}

let ldCache: LdCacheEntry[] | undefined;

/** Entries of glibc's /etc/ld.so.cache (the `glibc-ld.so.cache1.1` format, alone or after the old one). */
export function readLdSoCache(file = '/etc/ld.so.cache'): LdCacheEntry[] {
  if (file === '/etc/ld.so.cache' && ldCache) return ldCache;
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return [];
  }
  const NEW_MAGIC = 'glibc-ld.so.cache1.1';
  let base = 0;
  if (data.toString('latin1', 0, 11) === 'ld.so-1.7.0') {
    const nlibs = data.readUInt32LE(12);
    base = 16 + nlibs * 12;
    base = (base + 7) & ~7;
  }
  const entries: LdCacheEntry[] = [];
  if (data.toString('latin1', base, base + NEW_MAGIC.length) === NEW_MAGIC) {
    const nlibs = data.readUInt32LE(base + 20);
    const start = base + 48;
    for (let i = 0; i < nlibs; i++) {
      const o = start + i * 24;
      if (o + 24 > data.length) break;
      const flags = data.readInt32LE(o);
      // String offsets are from the start of the new-format header.
      const name = cStr(data, base + data.readUInt32LE(o + 4));
      const path = cStr(data, base + data.readUInt32LE(o + 8));
      entries.push({ name, path, flags });
    }
  }
  if (file === '/etc/ld.so.cache') ldCache = entries;
  return entries;
}

function cStr(buf: Buffer, off: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('latin1', off, end < 0 ? buf.length : end);
}

/** x86-64 libc6 libraries in ld.so.cache: FLAG_ELF_LIBC6 (3) | FLAG_X8664_LIB64 (0x300). */
const LD_FLAGS_X86_64 = 0x0303;

/**
 * bcc's `which_so`: the path of `lib<name>.so*`. With a pid, the library that process has mapped;
 * else the first x86-64 match in /etc/ld.so.cache; else the standard library directories.
 */
export function findLibrary(name: string, pid?: number): string | undefined {
  const soname = `lib${name}.so`;
  if (pid !== undefined) {
    const hit = mappedPaths(pid).find((p) => {
      const base = p.slice(p.lastIndexOf('/') + 1);
      return base.startsWith(soname) || base.startsWith(`lib${name}-`);
    });
    if (hit) return pidRoot(pid) + hit;
  }
  for (const e of readLdSoCache()) {
    if ((e.flags & 0xffff) === LD_FLAGS_X86_64 && e.name.startsWith(soname)) return e.path;
  }
  for (const dir of LIB_DIRS) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    const hit = entries.sort().find((e) => e === soname || e.startsWith(`${soname}.`));
    if (hit) return join(dir, hit);
  }
  return undefined;
}

/** The executable of a running process, as a path this process can open. */
export function pidExe(pid: number): string | undefined {
  try {
    return pidRoot(pid) + readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

/** Files a process has mapped executable (its binary and shared libraries), in map order, deduplicated. */
export function mappedPaths(pid: number): string[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return [];
  }
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.split(/\s+/);
    if (f.length < 6 || !f[1]?.includes('x')) continue;
    const path = f.slice(5).join(' ');
    if (path.startsWith('/') && !path.endsWith('(deleted)')) out.add(path);
  }
  return [...out];
}

export function processExists(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** File identity for compile-cache validation: size and modification time. */
export function fileStamp(path: string): { path: string; size: number; mtimeMs: number } | undefined {
  try {
    const s = statSync(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}
