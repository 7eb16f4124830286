import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { ElfError, type UsdtNote } from '../kernel/elf.js';
import { parseUsdtArgs } from '../kernel/usdt-args.js';
import { mappedPaths } from '../kernel/user-paths.js';
import { splitAttachPoint } from './attach-point.js';
import { globToRegExp, hasWildcard, ProgType, type ConcreteProbe, type ExpandContext, type Provider, type UsdtArgSpec } from './provider.js';
import { attachUprobe, elfAt, resolveUserTarget, shownPath } from './uprobe.js';

/**
 * `usdt:binary:[provider:]name` (and `usdt:[provider:]name` with -p): statically defined probes
 * from the binary's `.note.stapsdt`. Each probe site is a uprobe at the note's address; a probe
 * with a semaphore passes the semaphore's file offset to the uprobe PMU (config bits 32-63), so the
 * kernel counts tsbpf in while attached. `arg0..argN` are decoded from the note's operands.
 */

function notesOf(path: string): UsdtNote[] {
  const elf = elfAt(path);
  return elf instanceof ElfError ? [] : elf.usdtNotes();
}

function usdtPaths(target: string, ctx: ExpandContext | undefined): string[] {
  if (!target && ctx?.pid !== undefined) return mappedPaths(ctx.pid);
  return [...resolveUserTarget(target, ctx).paths];
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const usdtProvider: Provider = {
  name: 'usdt',
  aliases: ['U'],
  pidFilter: 'attach',
  runsNewestFirst: true,
  listing: { wildcard: 'user', search: 'target' },
  expand(raw: string, span: Span, diags: Diagnostics, ctx?: ExpandContext): ConcreteProbe[] {
    const parts = splitAttachPoint(raw);
    if (ctx?.pid !== undefined && parts.length === 2) parts.splice(1, 0, '');
    if (parts.length === 3 && ctx?.pid !== undefined && !parts[1]!.includes('/') && notesOf(parts[1]!).length === 0 && usdtPaths(parts[1]!, ctx).length === 0) {
      // usdt:provider:name with -p
      parts.splice(1, 0, '');
    }
    if ((parts.length !== 3 && parts.length !== 4) || !parts[parts.length - 1]) {
      diags.error('invalid-attach-point', `invalid usdt probe "${raw}": expected usdt:binary:[provider:]name`, span);
      return [];
    }
    const target = parts[1]!;
    // An empty provider (`usdt:bin::name`) is any provider, as in bpftrace.
    const ns = parts.length === 4 && parts[2] ? parts[2] : '*';
    const name = parts[parts.length - 1]!;
    if (!target && ctx?.pid === undefined) {
      diags.error('invalid-attach-point', 'usdt probe must specify at least path or pid to probe', span);
      return [];
    }
    const paths = usdtPaths(target, ctx);
    if (paths.length === 0) {
      diags.error('unknown-probe', `usdt target file '${target}' does not exist or is not executable`, span);
      return [];
    }
    const files = !target || hasWildcard(target) ? paths : [paths[0]!];
    const nsRe = globToRegExp(ns);
    const nameRe = globToRegExp(name);
    const out: ConcreteProbe[] = [];
    for (const path of files) {
      const elf = elfAt(path);
      if (elf instanceof ElfError) continue;
      const notes = elf.usdtNotes().filter((n) => nsRe.test(n.provider) && nameRe.test(n.name));
      notes.sort((a, b) => byteOrder(`${a.provider}:${a.name}`, `${b.provider}:${b.name}`) || (a.pc < b.pc ? -1 : a.pc > b.pc ? 1 : 0));
      for (const note of notes) {
        const offset = elf.fileOffset(note.pc);
        if (offset === undefined) continue;
        const parsed = parseUsdtArgs(note.args);
        const bad = parsed.find((a): a is string => typeof a === 'string');
        if (bad) {
          diags.error('unsupported-usdt-argument', `${path}:${note.provider}:${note.name}: ${bad}`, span);
          continue;
        }
        const refCtr = note.semaphore !== 0n ? elf.sectionFileOffset(note.semaphore) : undefined;
        out.push({
          provider: 'usdt',
          name: `usdt:${shownPath(target, path)}:${note.provider}:${note.name}`,
          progType: ProgType.KPROBE,
          attach: { kind: 'uprobe', path, offset: Number(offset), isReturn: false, pid: ctx?.pid, refCtrOffset: refCtr !== undefined ? Number(refCtr) : undefined },
          args: undefined,
          registers: [],
          usdtArgs: parsed as UsdtArgSpec[],
          files: [path],
        });
      }
    }
    if (out.length === 0 && !diags.hasErrors) diags.error('unknown-probe', `no usdt probe matches ${raw}`, span);
    return out;
  },
  list(pattern?: string, ctx?: ExpandContext): string[] {
    const parts = pattern ? splitAttachPoint(pattern) : [];
    const target = parts[1] && parts[1] !== '*' ? parts[1] : ctx?.pid !== undefined ? '' : parts[1] ?? '';
    if (!target && ctx?.pid === undefined) return [];
    const out = new Set<string>();
    for (const path of usdtPaths(target, ctx)) {
      for (const n of notesOf(path)) out.add(`usdt:${shownPath(target, path)}:${n.provider}:${n.name}`);
    }
    return [...out].sort(byteOrder);
  },
  attach(p, progFd, ops) {
    if (p.attach.kind !== 'uprobe') throw new Error('usdt provider given a foreign probe');
    return attachUprobe(p, progFd, ops);
  },
};
