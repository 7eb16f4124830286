/**
 * Folded stacks (`-f folded`, runtime/output/folded.ts) from synthetic stack maps: the convention
 * of stackcollapse-bpftrace.pl (a key's lines reversed, `;`-joined, space, count), offsets dropped.
 */
import test from 'ava';
import { foldMap, foldMaps, foldedText, frameName, isStackMap } from '../../../runtime/output/folded.js';
import { FoldedOutput } from '../../../runtime/output/folded-output.js';
import { V, type MapDump } from '../../../runtime/output/value.js';
import { capture, hist } from './helpers.js';

const count = (n: number) => ({ kind: 'int' as const, value: BigInt(n), agg: 'count' as const });

/** `@[kstack, ustack, comm] = count()` of a profile: a kernel sample and two user ones. */
const profile: MapDump = {
  name: '@',
  entries: [
    { key: [V.stack(['native_safe_halt+5', 'default_idle+12', 'cpu_startup_entry+40']), V.stack([]), V.str('swapper/0')], value: count(7) },
    { key: [V.stack([]), V.stack(['leaf+17', 'mid+22', 'main+39']), V.str('burn')], value: count(3) },
    // The same functions at other offsets: one line.
    { key: [V.stack([]), V.stack(['leaf+30', 'mid+22', 'main+39']), V.str('burn')], value: count(2) },
    { key: [V.stack(['do_syscall_64+80']), V.stack(['write+9', 'main+50']), V.str('burn')], value: count(1) },
  ],
};

test('a profile map folds to comm;ustack root first;kstack root first, offsets dropped, equal stacks merged', (t) => {
  t.true(isStackMap(profile));
  t.is(
    foldedText(foldMap(profile)),
    ['burn;main;mid;leaf 5', 'burn;main;write;do_syscall_64 1', 'swapper/0;cpu_startup_entry;default_idle;native_safe_halt 7', ''].join('\n'),
  );
});

test('frame names: perf mode lines lose address and module, raw addresses stay, ; cannot split a frame', (t) => {
  t.is(frameName('\t7f01a2b3 main+22 (/usr/bin/prog)'), 'main');
  t.is(frameName('\t7f01a2b3 0x7f01a2b3 ([unknown])'), '0x7f01a2b3');
  t.is(frameName('7f01a2b3'), '7f01a2b3');
  t.is(frameName('0xffffffff81000000'), '0xffffffff81000000');
  t.is(frameName('operator;weird+0x10'), 'operator:weird');
  t.is(frameName('   '), '[unknown]');
  // show_debug_info: the offset goes, the source line stays.
  t.is(frameName('        main+22@/src/a+1.c:7'), 'main@/src/a+1.c:7');
  t.is(frameName('        [inlined] inner@/src/a.c:3'), '[inlined] inner@/src/a.c:3');
  t.is(frameName('\t7f01a2b3 inner (inlined)'), 'inner');
});

test('other keys become frames; sums count; histograms and maps without stacks are not folded', (t) => {
  const m: MapDump = { name: '@bytes', entries: [{ key: [V.int(42), V.stack(['f+1', 'g+2'])], value: { kind: 'int', value: 4096n, agg: 'sum' } }] };
  t.is(foldedText(foldMap(m)), 'g;f;42 4096\n');
  const tupleKey: MapDump = { name: '@t', entries: [{ key: [V.tuple(V.str('a'), V.stack(['f+1']))], value: count(1) }] };
  t.is(foldedText(foldMap(tupleKey)), 'f;a 1\n');
  const histMap: MapDump = { name: '@h', entries: [{ key: [V.stack(['f+1'])], value: hist([1, 2]) }] };
  t.deepEqual(foldMap(histMap), []);
  t.false(isStackMap({ name: '@c', entries: [{ key: [V.str('bash')], value: count(1) }] }));
});

test('several stack maps fold together under their names; other maps are left out', (t) => {
  const a: MapDump = { name: '@a', entries: [{ key: [V.stack(['f+1'])], value: count(1) }] };
  const b: MapDump = { name: '@b', entries: [{ key: [V.stack(['g+1'])], value: count(2) }] };
  const c: MapDump = { name: '@c', entries: [{ key: [V.str('x')], value: count(9) }] };
  t.is(foldedText(foldMaps([a, b, c])), '@a;f 1\n@b;g 2\n');
  t.is(foldedText(foldMaps([a, c])), 'f 1\n');
});

test('FoldedOutput: stack maps as folded text on the output, other maps as text on stderr, no header', (t) => {
  const c = capture();
  const out = new FoldedOutput(c.opts);
  out.printf('hello\n');
  out.mapsHeader();
  out.map(profile);
  out.map({ name: '@n', entries: [{ key: [], value: { kind: 'int', value: 13n } }] });
  t.is(c.out(), 'hello\n' + foldedText(foldMap(profile)));
  t.is(c.err(), '@n: 13\n');
});
