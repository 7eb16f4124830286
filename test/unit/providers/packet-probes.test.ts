/** xdp: and tc: attach points (src/providers/xdp.ts, tc.ts): modes, directions, globs over this namespace's interfaces. */
import test from 'ava';
import { Diagnostics } from '../../../src/common/diagnostic.js';
import { ProgType } from '../../../src/contract/index.js';
import { ifindexOf, netInterfaces } from '../../../src/kernel/netdev.js';
import { checkRedirects } from '../../../src/providers/packet-common.js';
import { tcAttachMode, tcProvider } from '../../../src/providers/tc.js';
import { xdpProvider } from '../../../src/providers/xdp.js';

const span = { file: 'x', start: 0, end: 1 } as never;
const hasLo = netInterfaces().includes('lo');
const withLo = hasLo ? test : test.skip;

withLo('xdp: modes by name (skb is generic), the program type and attach request', (t) => {
  const diags = new Diagnostics();
  const [auto] = xdpProvider.expand('xdp:lo', span, diags);
  t.like(auto, { name: 'xdp:lo', progType: ProgType.XDP, attach: { kind: 'xdp', iface: 'lo', mode: 'auto' } });
  t.like(xdpProvider.expand('xdp:lo:skb', span, diags)[0], { name: 'xdp:lo:generic', attach: { mode: 'generic' } });
  t.like(xdpProvider.expand('xdp:lo:driver', span, diags)[0], { attach: { mode: 'driver' } });
  t.false(diags.hasErrors);
  xdpProvider.expand('xdp:lo:turbo', span, diags);
  xdpProvider.expand('xdp:no-such-if9', span, diags);
  t.deepEqual(diags.items.map((d) => d.code), ['invalid-attach-point', 'unknown-probe']);
});

withLo('tc: a direction is required; a glob expands over the interfaces', (t) => {
  const diags = new Diagnostics();
  t.like(tcProvider.expand('tc:lo:egress', span, diags)[0], { name: 'tc:lo:egress', progType: ProgType.SCHED_CLS, attach: { kind: 'tc', direction: 'egress' } });
  t.deepEqual(tcProvider.expand('tc:l?:ingress', span, diags).map((p) => p.name), netInterfaces().filter((n) => /^l.$/.test(n)).map((n) => `tc:${n}:ingress`));
  t.false(diags.hasErrors);
  tcProvider.expand('tc:lo', span, diags);
  t.deepEqual(diags.items.map((d) => d.code), ['invalid-attach-point']);
});

test('TSBPF_TC_ATTACH picks tcx, classic or auto; anything else is a clear attach error', (t) => {
  t.is(tcAttachMode({}), 'auto');
  t.is(tcAttachMode({ TSBPF_TC_ATTACH: 'Classic' }), 'classic');
  t.is(tcAttachMode({ TSBPF_TC_ATTACH: 'tcx' }), 'tcx');
  t.is(tcAttachMode({ TSBPF_TC_ATTACH: 'auto' }), 'auto');
  const e = t.throws(() => tcAttachMode({ TSBPF_TC_ATTACH: 'netlink' }));
  t.is(e?.message, 'TSBPF_TC_ATTACH=netlink: expected tcx, classic or auto');
});

withLo('redirect targets are checked at attach: the index compiled in must still be the interface\'s', (t) => {
  const lo = ifindexOf('lo')!;
  t.notThrows(() => checkRedirects([{ iface: 'lo', ifindex: lo }], 'xdp:x'));
  t.notThrows(() => checkRedirects(undefined, 'xdp:x'));
  t.is(t.throws(() => checkRedirects([{ iface: 'lo', ifindex: lo + 100000 }], 'xdp:x'))?.message, `cannot attach xdp:x: redirect target lo has index ${lo}, not ${lo + 100000} as when the script was compiled (re-created?)`);
  t.is(t.throws(() => checkRedirects([{ iface: 'nosuchif7', ifindex: 9 }], 'tc:x:ingress'))?.message, 'cannot attach tc:x:ingress: redirect target nosuchif7 does not exist any more');
});
