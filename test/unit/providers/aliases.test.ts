/**
 * Probe-type names and aliases resolve as bpftrace's probe_types.h table says: an alias spelled
 * exactly wins (`u` uprobe, `U` usdt), other names are case-insensitive.
 */
import test from 'ava';
import { providerFor } from '../../../src/providers/registry.js';

const typeOf = (raw: string): string | undefined => providerFor(raw)?.name;

test('every bpftrace alias names the probe type bpftrace gives it', (t) => {
  // bpftrace src/probe_types.h PROBE_LIST.
  const table: [string, string][] = [
    ['k', 'kprobe'], ['kr', 'kretprobe'], ['u', 'uprobe'], ['ur', 'uretprobe'], ['U', 'usdt'],
    ['t', 'tracepoint'], ['rt', 'rawtracepoint'], ['p', 'profile'], ['i', 'interval'], ['s', 'software'],
    ['h', 'hardware'], ['w', 'watchpoint'], ['f', 'fentry'], ['kfunc', 'fentry'], ['fr', 'fexit'], ['kretfunc', 'fexit'],
  ];
  for (const [alias, name] of table) {
    t.is(typeOf(`${alias}:x:y`), name, alias);
    t.is(typeOf(`${name}:x:y`), name, name);
  }
});

test('names are case-insensitive except where an exact alias decides', (t) => {
  t.is(typeOf('u:/bin/sh:main'), 'uprobe');
  t.is(typeOf('U:/bin/sh:p:n'), 'usdt');
  t.is(typeOf('KPROBE:f'), 'kprobe');
  t.is(typeOf('Tracepoint:a:b'), 'tracepoint');
  t.is(typeOf('UR:/bin/sh:main'), 'uretprobe');
  t.is(typeOf('BEGIN'), 'BEGIN');
  t.is(typeOf('begin'), 'BEGIN');
  t.is(typeOf('nosuch:x'), undefined);
});
