/** xdp: and tc: attach points (src/providers/xdp.ts, tc.ts): modes, directions, globs over this namespace's interfaces. */
import test from 'ava';
import { Diagnostics } from '../../../src/common/diagnostic.js';
import { ProgType } from '../../../src/contract/index.js';
import { netInterfaces } from '../../../src/kernel/netdev.js';
import { tcProvider } from '../../../src/providers/tc.js';
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
