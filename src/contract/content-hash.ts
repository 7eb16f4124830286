import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';

// What a compile read (the type lives in the compiler/runtime contract).
export type { ReadFile } from './script.js';

/** Scripts a directory import brings in (src/passes/imports.ts). */
export const SCRIPT_FILE = /\.(bt|tbpf)$/;

/** The hash of a file's text as the compiler read it (UTF-8 decoded). */
export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hash of an imported directory: its script files' names, sorted. */
export function listingHash(names: readonly string[]): string {
  return createHash('sha256').update(`dir\0${names.join('\0')}`, 'utf8').digest('hex');
}

/** The script files of a directory import, in import order. */
export function scriptFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((n) => SCRIPT_FILE.test(n)).sort();
}

/** The hash `path` has now (file or directory, as it was read), or undefined when it cannot be read. */
export function currentHash(path: string): string | undefined {
  try {
    return statSync(path).isDirectory() ? listingHash(scriptFilesIn(path)) : textHash(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
