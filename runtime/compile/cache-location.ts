/**
 * Where the compile cache lives and the name of its key file: shared by runtime/compile/compile-cache.ts
 * and runtime/compile/early-worker.ts (which bin/tsbpf.js loads on every run, so this file loads nothing else).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$XDG_CACHE_HOME/tsbpf`, or `~/.cache/tsbpf`. */
export function cacheDirPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'tsbpf');
}

/** The per-user HMAC key in the cache directory: without it no entry can be authenticated. */
export const KEY_FILE = 'key';
