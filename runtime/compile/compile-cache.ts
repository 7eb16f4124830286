// node:crypto is loaded only when an entry is written (~2 ms of start-up, while the worker compiles):
// a hit checks its HMAC with node's own OpenSSL through the native addon the run loads anyway.
import { closeSync, constants as F, fchmodSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { CompiledScript } from '../../src/contract/index.js';
import { bpf } from '../../native/index.js';
import { cacheDirPath, KEY_FILE } from './cache-location.js';
import { checkCompiledScript } from './compiled-script-check.js';
import { startupMark } from './startup-trace.js';

/**
 * The compile cache: compiled scripts (JSON CompiledScript) in a directory private to the
 * effective user, each entry authenticated with an HMAC-SHA256 under a per-user random key kept in
 * that directory. tsbpf runs as root and loads what it reads here into the kernel, so nothing is
 * read from or written to a directory another user could have prepared, and nothing is used that
 * this user's tsbpf did not write. docs/security.md has the threat model.
 */

export { cacheDirPath };

/** A cache directory that passed the checks: a real directory, owned by the effective user, not writable by group or others. */
export interface PrivateDir {
  readonly path: string;
}

export type OpenedDir =
  | { readonly kind: 'ok'; readonly dir: PrivateDir }
  /** Not safe to use: say so (one warning line) and run without the cache. */
  | { readonly kind: 'unsafe'; readonly why: string }
  /** Cannot be created or opened (read-only home...): run without the cache, silently. */
  | { readonly kind: 'unavailable' };

const euid = (): number => process.geteuid?.() ?? 0;

/**
 * Opens the cache directory at `path`, creating it (mode 0700) when it is missing, and checks it:
 * opened with O_NOFOLLOW (a symlink is refused), it must be a directory owned by the effective user
 * and not writable by group or others. A directory that is merely readable by others is made 0700.
 */
export function openCacheDir(path: string, create = true): OpenedDir {
  let fd: number;
  try {
    fd = openDir(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { kind: 'unsafe', why: `${path} is a symbolic link` };
    if (code === 'ENOTDIR') return { kind: 'unsafe', why: `${path} is not a directory` };
    if (code !== 'ENOENT' || !create) return { kind: 'unavailable' };
    try {
      mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
      mkdirSync(path, { mode: 0o700 });
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') return { kind: 'unavailable' };
    }
    // Opened and checked like any other: another process may have made it in between.
    return openCacheDir(path, false);
  }
  return checkDir(path, fd);
}

function openDir(path: string): number {
  return openSync(path, F.O_RDONLY | F.O_DIRECTORY | F.O_NOFOLLOW);
}

function checkDir(path: string, fd: number): OpenedDir {
  try {
    const st = fstatSync(fd);
    if (!st.isDirectory()) return { kind: 'unsafe', why: `${path} is not a directory` };
    if (st.uid !== euid()) return { kind: 'unsafe', why: `${path} is owned by uid ${st.uid}, not by uid ${euid()}` };
    if ((st.mode & 0o022) !== 0) return { kind: 'unsafe', why: `${path} is writable by group or others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})` };
    if ((st.mode & 0o077) !== 0) fchmodSync(fd, 0o700);
    return { kind: 'ok', dir: { path } };
  } catch {
    return { kind: 'unavailable' };
  } finally {
    closeSync(fd);
  }
}

/** A file in the private directory as tsbpf writes them: regular, owned by the effective user, one link, not writable by others. */
function ownFile(st: Stats, privateMode: boolean): boolean {
  return st.isFile() && st.uid === euid() && st.nlink === 1 && (st.mode & (privateMode ? 0o077 : 0o022)) === 0;
}

/** Largest entry read (a big script's instructions are a few MB of base64). */
const MAX_ENTRY_BYTES = 64 << 20;
const KEY_BYTES = 32;
const MAGIC = 'tsbpf-cache-1';

/**
 * Reads a file of the private directory: O_NOFOLLOW (a symlink is not followed), O_NONBLOCK (a FIFO
 * cannot hang us), and it must be one of ours (`ownFile`). Undefined when missing or not ours.
 */
function readOwnFile(path: string, privateMode: boolean, maxBytes: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, F.O_RDONLY | F.O_NOFOLLOW | F.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!ownFile(st, privateMode) || st.size > maxBytes) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

type Crypto = typeof import('node:crypto');

/** The per-user HMAC key: `key` in the directory, 32 random bytes, mode 0600; made on first use. */
function readKey(dir: PrivateDir): Buffer | undefined {
  const key = readOwnFile(join(dir.path, KEY_FILE), true, KEY_BYTES);
  return key && key.length === KEY_BYTES ? key : undefined;
}

function makeKey(dir: PrivateDir, crypto: Crypto): Buffer | undefined {
  const existing = readKey(dir);
  if (existing) return existing;
  // Written whole under a private name, then linked into place: link() never replaces a file, so
  // two tsbpf processes racing both end up reading the one key that won.
  const tmp = writePrivateTemp(dir, crypto.randomBytes(KEY_BYTES), crypto);
  if (!tmp) return undefined;
  try {
    linkSync(tmp, join(dir.path, KEY_FILE));
  } catch {
    // EEXIST: another process made it first.
  } finally {
    removeQuietly(tmp);
  }
  return readKey(dir);
}

/**
 * Writes `data` to a new file with an unpredictable name in the directory (O_CREAT|O_EXCL|O_NOFOLLOW,
 * 0600: never an existing file, never through a symlink). Returns its path, or undefined (and
 * nothing left behind) when that fails.
 */
function writePrivateTemp(dir: PrivateDir, data: Buffer | string, crypto: Crypto, name = `.${crypto.randomBytes(16).toString('hex')}.tmp`): string | undefined {
  const path = join(dir.path, name);
  let fd: number;
  try {
    fd = openSync(path, F.O_WRONLY | F.O_CREAT | F.O_EXCL | F.O_NOFOLLOW, 0o600);
  } catch {
    return undefined;
  }
  try {
    writeFileSync(fd, data);
    closeSync(fd);
    return path;
  } catch {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    removeQuietly(path);
    return undefined;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

/** The files (ELF binaries) a compiled script's probes were resolved from, with their identity. */
export type FileDeps = [path: string, size: number, mtimeMs: number][];

/** What an entry holds: the key text it was compiled for, the binaries it depends on, the script. */
export interface CacheEntry {
  readonly key: string;
  readonly deps?: FileDeps;
  readonly script: CompiledScript;
}

export function fileDeps(script: CompiledScript): FileDeps | undefined {
  const paths = new Set(script.programs.flatMap((p) => p.probe.files ?? []));
  const deps: FileDeps = [];
  for (const path of paths) {
    try {
      const s = statSync(path);
      deps.push([path, s.size, s.mtimeMs]);
    } catch {
      return undefined;
    }
  }
  return deps;
}

function depsUnchanged(deps: unknown): boolean {
  if (deps === undefined) return true;
  if (!Array.isArray(deps)) return false;
  return deps.every((d: unknown) => {
    if (!Array.isArray(d) || typeof d[0] !== 'string') return false;
    try {
      const s = statSync(d[0]);
      return s.size === d[1] && s.mtimeMs === d[2];
    } catch {
      return false;
    }
  });
}

/** Every imported file and directory still reads as it did when the script was compiled. */
async function importsUnchanged(script: CompiledScript): Promise<boolean> {
  if (!script.imports?.length) return true;
  const { currentHash } = await import('../../src/contract/content-hash.js');
  return script.imports.every((f) => currentHash(f.path) === f.sha256);
}

/** Why an entry was not used, for TSBPF_DEBUG. */
export type ReadResult = { readonly script: CompiledScript } | { readonly miss: string };

/**
 * The entry `name` if it is ours (authenticated by its HMAC), well-formed (checkCompiledScript),
 * compiled for `keyText`, and still current (its binaries and imported files unchanged).
 * Anything else is a miss.
 */
export async function readEntry(dir: PrivateDir, name: string, keyText: string): Promise<ReadResult> {
  const bytes = readOwnFile(join(dir.path, name), false, MAX_ENTRY_BYTES);
  if (!bytes) return { miss: 'no entry' };
  const key = readKey(dir);
  if (!key) return { miss: 'no key' };
  const nl = bytes.indexOf(10);
  const header = nl < 0 ? '' : bytes.subarray(0, nl).toString('latin1');
  const m = /^tsbpf-cache-1 ([0-9a-f]{64})$/.exec(header);
  if (!m) return { miss: 'no HMAC' };
  const body = bytes.subarray(nl + 1);
  startupMark('cache-read');
  // The HMAC writeEntry made with node:crypto, computed by the same OpenSSL (node's, through the
  // addon: no node:crypto to load) and compared in constant time.
  if (!bpf.hmacSha256Verify(key, body, Buffer.from(m[1]!, 'hex'))) return { miss: 'bad HMAC' };
  startupMark('hmac');
  let entry: unknown;
  try {
    entry = JSON.parse(body.toString('utf8'));
  } catch {
    return { miss: 'not JSON' };
  }
  if (typeof entry !== 'object' || entry === null) return { miss: 'not an entry' };
  const e = entry as Record<string, unknown>;
  if (e['key'] !== keyText) return { miss: 'another key' };
  startupMark('json-parsed');
  const bad = checkCompiledScript(e['script']);
  if (bad) return { miss: `malformed: ${bad}` };
  startupMark('script-checked');
  const script = e['script'] as CompiledScript;
  // A probe resolved from a binary that has changed since (rebuilt, upgraded) is recompiled, and so
  // is a script whose imported files changed.
  if (!depsUnchanged(e['deps'])) return { miss: 'a probed binary changed' };
  if (!(await importsUnchanged(script))) return { miss: 'an imported file changed' };
  return { script };
}

/**
 * Stores an entry: HMAC'd, written whole under an unpredictable temporary name and renamed into
 * place (rename replaces whatever is at `name`, a symlink included, without writing through it).
 * False, with nothing left behind, when anything fails. `tempName` is for tests only.
 */
export async function writeEntry(dir: PrivateDir, name: string, entry: CacheEntry, tempName?: string): Promise<boolean> {
  const crypto = await import('node:crypto');
  const key = makeKey(dir, crypto);
  if (!key) return false;
  const body = Buffer.from(JSON.stringify(entry), 'utf8');
  const mac = crypto.createHmac('sha256', key).update(body).digest('hex');
  const tmp = writePrivateTemp(dir, Buffer.concat([Buffer.from(`${MAGIC} ${mac}\n`, 'latin1'), body]), crypto, tempName);
  if (!tmp) return false;
  try {
    renameSync(tmp, join(dir.path, name));
    return true;
  } catch {
    removeQuietly(tmp);
    return false;
  }
}
