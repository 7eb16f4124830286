import type { Provider } from './provider.js';
import { tcProvider } from './tc.js';
import { xdpProvider } from './xdp.js';

/** The network data path probe types (issue 15), listed in registry.ts as one entry. */
export const PACKET_PROVIDERS: readonly Provider[] = [xdpProvider, tcProvider];
