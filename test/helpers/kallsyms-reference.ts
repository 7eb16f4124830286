/**
 * The kernel symbol table as tsbpf built it before runtime/output/kernel-symbols.ts (a string per
 * line, a bigint and an object per symbol, a stable comparator sort): the answers the fast table
 * must keep, for the unit test and the e2e checks of printed stacks.
 */
export function referenceFind(text: string): (addr: bigint) => { name: string; offset: bigint } | undefined {
  const syms: { addr: bigint; name: string }[] = [];
  for (const line of text.split('\n')) {
    const sp1 = line.indexOf(' ');
    const sp2 = line.indexOf(' ', sp1 + 1);
    if (sp1 < 0 || sp2 < 0) continue;
    const t = line[sp1 + 1];
    if (t !== 't' && t !== 'T' && t !== 'w' && t !== 'W') continue;
    const addr = BigInt('0x' + line.slice(0, sp1));
    if (addr === 0n) continue;
    let end = line.indexOf('\t', sp2 + 1);
    if (end < 0) end = line.length;
    syms.push({ addr, name: line.slice(sp2 + 1, end) });
  }
  syms.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return (addr) => {
    let lo = 0;
    let hi = syms.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (syms[mid]!.addr <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best < 0 ? undefined : { name: syms[best]!.name, offset: addr - syms[best]!.addr };
  };
}
