/** %gr: GFP flags (bpftrace src/util/gfp_flags.{h,cpp}, following the kernel's mmflags.h order). */

const B = (n: number): bigint => 1n << BigInt(n);
const __GFP_DMA = B(0);
const __GFP_HIGHMEM = B(1);
const __GFP_DMA32 = B(2);
const __GFP_MOVABLE = B(3);
const __GFP_HIGH = B(5);
const __GFP_IO = B(6);
const __GFP_FS = B(7);
const __GFP_ZERO = B(8);
const __GFP_DIRECT_RECLAIM = B(10);
const __GFP_KSWAPD_RECLAIM = B(11);
const __GFP_WRITE = B(12);
const __GFP_NOWARN = B(13);
const __GFP_RETRY_MAYFAIL = B(14);
const __GFP_NOFAIL = B(15);
const __GFP_NORETRY = B(16);
const __GFP_MEMALLOC = B(17);
const __GFP_COMP = B(18);
const __GFP_NOMEMALLOC = B(19);
const __GFP_HARDWALL = B(20);
const __GFP_THISNODE = B(21);
const __GFP_ACCOUNT = B(22);
const __GFP_ZEROTAGS = B(23);
const __GFP_SKIP_ZERO = B(24);
const __GFP_SKIP_KASAN = B(25);
const __GFP_NO_OBJ_EXT = B(26);
const __GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM;
const GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;
const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;
const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM | __GFP_NOWARN;
const GFP_NOIO = __GFP_RECLAIM;
const GFP_NOFS = GFP_NOIO | __GFP_IO;
const GFP_USER = GFP_NOFS | __GFP_FS | __GFP_HARDWALL;
const GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
const GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | __GFP_MOVABLE | __GFP_SKIP_KASAN;
const GFP_TRANSHUGE_LIGHT = (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM;
const GFP_TRANSHUGE = GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM;

const GFP_NAMES: readonly [bigint, string][] = [
  [GFP_TRANSHUGE, 'GFP_TRANSHUGE'],
  [GFP_TRANSHUGE_LIGHT, 'GFP_TRANSHUGE_LIGHT'],
  [GFP_HIGHUSER_MOVABLE, 'GFP_HIGHUSER_MOVABLE'],
  [GFP_HIGHUSER, 'GFP_HIGHUSER'],
  [GFP_USER, 'GFP_USER'],
  [GFP_KERNEL_ACCOUNT, 'GFP_KERNEL_ACCOUNT'],
  [GFP_KERNEL, 'GFP_KERNEL'],
  [GFP_NOFS, 'GFP_NOFS'],
  [GFP_ATOMIC, 'GFP_ATOMIC'],
  [GFP_NOIO, 'GFP_NOIO'],
  [GFP_NOWAIT, 'GFP_NOWAIT'],
  [__GFP_DMA, 'GFP_DMA'],
  [__GFP_HIGHMEM, '__GFP_HIGHMEM'],
  [__GFP_DMA32, 'GFP_DMA32'],
  [__GFP_HIGH, '__GFP_HIGH'],
  [__GFP_IO, '__GFP_IO'],
  [__GFP_FS, '__GFP_FS'],
  [__GFP_ZERO, '__GFP_ZERO'],
  [__GFP_DIRECT_RECLAIM, '__GFP_DIRECT_RECLAIM'],
  [__GFP_KSWAPD_RECLAIM, '__GFP_KSWAPD_RECLAIM'],
  [__GFP_WRITE, '__GFP_WRITE'],
  [__GFP_NOWARN, '__GFP_NOWARN'],
  [__GFP_RETRY_MAYFAIL, '__GFP_RETRY_MAYFAIL'],
  [__GFP_NOFAIL, '__GFP_NOFAIL'],
  [__GFP_NORETRY, '__GFP_NORETRY'],
  [__GFP_MEMALLOC, '__GFP_MEMALLOC'],
  [__GFP_COMP, '__GFP_COMP'],
  [__GFP_NOMEMALLOC, '__GFP_NOMEMALLOC'],
  [__GFP_HARDWALL, '__GFP_HARDWALL'],
  [__GFP_THISNODE, '__GFP_THISNODE'],
  [__GFP_ACCOUNT, '__GFP_ACCOUNT'],
  [__GFP_ZEROTAGS, '__GFP_ZEROTAGS'],
  [__GFP_SKIP_ZERO, '__GFP_SKIP_ZERO'],
  [__GFP_SKIP_KASAN, '__GFP_SKIP_KASAN'],
  [__GFP_NO_OBJ_EXT, '__GFP_NO_OBJ_EXT'],
];

/** `%gr`: `GFP_KERNEL|__GFP_ZERO`, leftover bits as `0x..`, 0 as `0`. */
export function gfpFlagsText(flags: bigint): string {
  if (flags === 0n) return '0';
  let remaining = flags;
  const parts: string[] = [];
  for (const [mask, name] of GFP_NAMES) {
    if ((remaining & mask) === mask) {
      parts.push(name);
      remaining &= ~mask;
    }
  }
  if (remaining !== 0n) parts.push('0x' + remaining.toString(16));
  return parts.join('|');
}
