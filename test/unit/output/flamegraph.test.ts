/**
 * The flame graph SVG (runtime/output/flamegraph.ts) of synthetic stacks: one frame element per
 * call-tree node with its samples, widths in proportion, names escaped, self-contained. How it
 * behaves in a browser is test/e2e/flamegraph.test.ts.
 */
import test from 'ava';
import { escapeXml, flameGraphSvg, flameTree, frameColor, frameLabel, mapsFlameGraph } from '../../../runtime/output/flamegraph.js';
import type { FoldedStack } from '../../../runtime/output/folded.js';
import { V } from '../../../runtime/output/value.js';

const stacks: FoldedStack[] = [
  { frames: ['main', 'mid', 'leaf'], count: 6n },
  { frames: ['main', 'side'], count: 2n },
  { frames: ['main', 'a<b>&"c"'], count: 2n },
];

interface Frame {
  x: number;
  w: number;
  d: number;
  n: string;
  rectWidth: number;
  text: string;
}

function frames(svg: string): Frame[] {
  const re = /<g class="f" data-x="(\d+)" data-w="(\d+)" data-d="(\d+)" data-n="([^"]*)"><rect x="[\d.]+" y="\d+" width="([\d.]+)"[^>]*\/><text [^>]*>([^<]*)<\/text><\/g>/g;
  return [...svg.matchAll(re)].map((m) => ({ x: Number(m[1]), w: Number(m[2]), d: Number(m[3]), n: m[4]!, rectWidth: Number(m[5]), text: m[6]! }));
}

test('the call tree sums samples per path from a root holding them all', (t) => {
  const root = flameTree(stacks);
  t.is(root.samples, 10n);
  const main = root.children.get('main')!;
  t.is(main.samples, 10n);
  t.deepEqual([...main.children.keys()], ['mid', 'side', 'a<b>&"c"']);
  t.is(main.children.get('mid')!.children.get('leaf')!.samples, 6n);
});

test('one frame element per node: first sample, samples, depth, escaped name; widths in proportion', (t) => {
  const svg = flameGraphSvg(stacks, { width: 1020 });
  const fs = frames(svg);
  t.deepEqual(
    fs.map((f) => [f.n, f.x, f.w, f.d]),
    [
      ['all', 0, 10, 0],
      ['main', 0, 10, 1],
      ['a&lt;b&gt;&amp;&quot;c&quot;', 0, 2, 2],
      ['mid', 2, 6, 2],
      ['leaf', 2, 6, 3],
      ['side', 8, 2, 2],
    ],
  );
  // 1000 px for 10 samples.
  t.deepEqual(fs.map((f) => f.rectWidth), [1000, 1000, 200, 600, 600, 200]);
  t.is(fs.find((f) => f.n === 'leaf')!.text, 'leaf');
  t.true(svg.includes('data-total="10"'));
});

test('the SVG is self-contained: script in CDATA, nothing loaded from elsewhere', (t) => {
  const svg = flameGraphSvg(stacks);
  t.true(svg.startsWith('<?xml version="1.0" standalone="no"?>\n<svg '));
  t.true(svg.trimEnd().endsWith('</svg>'));
  const script = /<script type="text\/ecmascript"><!\[CDATA\[([\s\S]*)\]\]><\/script>/.exec(svg);
  t.truthy(script);
  t.false(script![1]!.includes(']]>'));
  t.deepEqual(svg.match(/https?:\/\/[^"]*/g), ['http://www.w3.org/2000/svg']);
  t.false(/\b(href|src)=/.test(svg));
});

test('labels fit their frame or are cut with ..; colours depend on the name only', (t) => {
  t.is(frameLabel('tsbpf_flame_leaf', 1000), 'tsbpf_flame_leaf');
  t.is(frameLabel('tsbpf_flame_leaf', 6 + 7.2 * 8), 'tsbpf_..');
  t.is(frameLabel('tsbpf_flame_leaf', 20), '');
  t.is(frameColor('main'), frameColor('main'));
  t.regex(frameColor('main'), /^hsl\(\d+,\d+%,\d+%\)$/);
  t.is(escapeXml(`<&>"'`), '&lt;&amp;&gt;&quot;&apos;');
});

test('mapsFlameGraph: the stack maps of a run, named in the subtitle with their samples', (t) => {
  const g = mapsFlameGraph([
    { name: '@cpu', entries: [{ key: [V.stack(['leaf+1', 'main+2'])], value: { kind: 'int', value: 5n, agg: 'count' } }] },
    { name: '@n', entries: [{ key: [], value: { kind: 'int', value: 5n } }] },
  ]);
  t.deepEqual(g.maps, ['@cpu']);
  t.is(g.samples, 5n);
  t.true(g.svg.includes('>@cpu: 5 samples</text>'));
  t.deepEqual(frames(g.svg).map((f) => f.n), ['all', 'main', 'leaf']);
  const empty = mapsFlameGraph([]);
  t.is(empty.samples, 0n);
  t.true(empty.svg.includes('no map keyed by a stack: 0 samples'));
});
