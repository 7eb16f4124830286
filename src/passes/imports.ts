import { realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tokenize } from '../../grammar/lexer.js';
import { tokens as T } from '../../grammar/index.js';
import { tokenMatcher } from '../../grammar/chevrotain.js';
import { Diagnostics, type Diagnostic } from '../common/diagnostic.js';
import type { SourceFile, Span } from '../common/span.js';
import { decodeStringLiteral } from '../syntax/literals.js';
import { listingHash, scriptFilesIn, textHash, type ReadFile } from '../contract/content-hash.js';
import { readImportable, unsafeDirectory } from './import-safety.js';

/**
 * `import "file.bt";` (bpftrace 0.26), done before parsing: each import statement is blanked out
 * (offsets of the importing text do not move) and the imported script's text is appended, once
 * per file however often it is imported. Paths are relative to the importing script's directory
 * (the working directory for `-e` and stdin); a directory imports its `.bt`/`.tbpf` files. An
 * imported file may not have a `config` block. Files others could change are refused (import-safety.ts).
 */
export interface ImportResult {
  readonly source: SourceFile;
  readonly diagnostics: readonly Diagnostic[];
  /** Where each imported file's text starts in `source.text`, for reading diagnostics. */
  readonly files: readonly { readonly name: string; readonly start: number }[];
  /** Every file and directory the expansion read, with a hash of what it read (the compile cache re-checks them). */
  readonly read: readonly ReadFile[];
}

const SCRIPT_EXT = /\.(bt|tbpf)$/;

const UNSAFE_HINT = 'imported files are loaded into the kernel as root: keep them (and their directories) owned by root or you and writable by no one else';

export function expandImports(source: SourceFile): ImportResult {
  const diags = new Diagnostics();
  if (!/\bimport\b/.test(source.text)) return { source, diagnostics: [], files: [], read: [] };
  const seen = new Set<string>();
  const files: { name: string; start: number }[] = [];
  const read: ReadFile[] = [];
  let appended = '';
  const mainBase = source.name === 'stdin' ? process.cwd() : dirname(resolve(source.name));
  try {
    seen.add(realpathSync(source.name));
  } catch {
    /* `-e` text: no file */
  }

  /** Blank the import statements of `text`; returns it and the files to import, in order. */
  const scan = (text: string, base: string, at: (s: Span) => Span, isImported: boolean): { text: string; paths: { path: string; span: Span }[] } => {
    const toks = tokenize(text).tokens;
    const paths: { path: string; span: Span }[] = [];
    let out = text;
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i]!;
      if (isImported && tokenMatcher(t, T.Config)) {
        diags.error('config-in-import', 'an imported file cannot have a config block', at({ start: t.startOffset, end: t.startOffset + t.image.length }));
      }
      if (!tokenMatcher(t, T.Import)) continue;
      const str = toks[i + 1];
      if (!str || !tokenMatcher(str, T.StringLiteral)) continue; // the parser reports it
      const semi = toks[i + 2] && tokenMatcher(toks[i + 2]!, T.Semicolon) ? toks[i + 2]! : str;
      const end = semi.startOffset + semi.image.length;
      const span = at({ start: t.startOffset, end });
      paths.push({ path: resolve(base, decodeStringLiteral(str.image).value), span });
      out = out.slice(0, t.startOffset) + out.slice(t.startOffset, end).replace(/[^\n]/g, ' ') + out.slice(end);
    }
    return { text: out, paths };
  };

  const importOne = (path: string, span: Span, depth: number): void => {
    if (depth > 16) {
      diags.error('import-depth', 'imports nest too deeply', span);
      return;
    }
    let st;
    try {
      st = statSync(path);
    } catch {
      diags.error('import-not-found', `cannot import ${path}: no such file or directory`, span);
      return;
    }
    if (st.isDirectory()) {
      const unsafe = unsafeDirectory(realpathSync(path));
      if (unsafe) {
        diags.error('import-unsafe', `refusing to import ${path}: ${unsafe}`, span, [UNSAFE_HINT]);
        return;
      }
      const names = scriptFilesIn(path);
      read.push({ path, sha256: listingHash(names) });
      for (const f of names) importOne(join(path, f), span, depth + 1);
      return;
    }
    if (!SCRIPT_EXT.test(path)) {
      diags.error('import-unsupported', `cannot import ${path}: only bpftrace scripts (.bt, .tbpf) can be imported (C headers and .bpf.c files are not supported)`, span);
      return;
    }
    const real = realpathSync(path);
    if (seen.has(real)) return; // imported once
    seen.add(real);
    const importable = readImportable(real);
    if ('refused' in importable) {
      diags.error('import-unsafe', `refusing to import ${path}: ${importable.refused}`, span, [UNSAFE_HINT]);
      return;
    }
    read.push({ path, sha256: textHash(importable.text) });
    const text = importable.text.replace(/^#!.*/, (m) => ' '.repeat(m.length));
    const start = source.text.length + appended.length + 1;
    files.push({ name: path, start });
    // Nested imports first are blanked here; their files are appended after this one.
    const { text: body, paths } = scan(text, dirname(path), (s) => ({ start: s.start + start, end: s.end + start }), true);
    appended += '\n' + body;
    for (const p of paths) importOne(p.path, p.span, depth + 1);
  };

  const main = scan(source.text, mainBase, (s) => s, false);
  for (const p of main.paths) importOne(p.path, p.span, 0);
  return { source: { name: source.name, text: main.text + appended }, diagnostics: diags.items, files, read };
}
