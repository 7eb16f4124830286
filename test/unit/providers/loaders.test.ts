/** The on-demand provider loaders (src/providers/loaders.ts) agree with the registry. */
import test from 'ava';
import { PROVIDER_LOADERS } from '../../../src/providers/loaders.js';
import { PROVIDERS } from '../../../src/providers/registry.js';

test('every provider has a loader that yields the registry entry, and no loader is extra', async (t) => {
  t.deepEqual(Object.keys(PROVIDER_LOADERS).sort(), PROVIDERS.map((p) => p.name).sort());
  for (const p of PROVIDERS) t.is(await PROVIDER_LOADERS[p.name]!(), p, p.name);
});
