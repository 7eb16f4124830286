import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { ProgType, type ConcreteProbe, type Provider } from './provider.js';

/**
 * BEGIN and END. Their bodies are RAW_TRACEPOINT programs that are never attached: the runtime runs
 * them with BPF_PROG_TEST_RUN, which executes in the calling thread (so `pid`, `comm` are tsbpf's).
 */
function specialProbe(which: 'BEGIN' | 'END'): ConcreteProbe {
  return {
    provider: which,
    name: which,
    progType: ProgType.RAW_TRACEPOINT,
    attach: { kind: 'special', which },
    args: undefined,
    registers: [],
  };
}

export const beginProvider: Provider = {
  name: 'BEGIN',
  aliases: ['begin'],
  pidFilter: 'none',
  listing: { name: () => undefined },
  completion: { bare: true },
  expand: (_raw: string, _span: Span, _diags: Diagnostics) => [specialProbe('BEGIN')],
  list: () => ['BEGIN'],
  attach: () => ({ fds: [], runAt: 'start' }),
};

export const endProvider: Provider = {
  name: 'END',
  aliases: ['end'],
  pidFilter: 'none',
  listing: { name: () => undefined },
  completion: { bare: true },
  expand: () => [specialProbe('END')],
  list: () => ['END'],
  attach: () => ({ fds: [], runAt: 'exit' }),
};
