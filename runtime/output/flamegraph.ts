/**
 * An interactive flame graph as one self-contained SVG file (in the manner of Brendan Gregg's
 * flamegraph.pl output, written here): every stack's frames stacked root at the bottom, each frame
 * as wide as its samples, siblings in name order; hover, click-to-zoom and search come from the
 * embedded script (runtime/output/flamegraph-script.ts). The file loads nothing from anywhere.
 *
 * Why not a library: the npm flame graph packages (d3-flame-graph, d3-fg, flame-chart-js,
 * react-flame-graph, @grafana/flamegraph) draw into a live web page with d3, canvas or React;
 * none writes a standalone SVG from Node, which is what a tracing run leaves behind.
 */
import { FLAME_SCRIPT } from './flamegraph-script.js';
import { foldMaps, isStackMap, type FoldedStack } from './folded.js';
import type { MapDump } from './value.js';

export interface FlameGraphOptions {
  /** The big line at the top (default `Flame Graph`). */
  readonly title?: string;
  /** A smaller line under it (e.g. what was traced). */
  readonly subtitle?: string;
  /** Image width in pixels (default 1200). */
  readonly width?: number;
}

interface FlameNode {
  readonly name: string;
  samples: bigint;
  readonly children: Map<string, FlameNode>;
}

const FRAME_HEIGHT = 16;
const FONT_SIZE = 12;
const PAD = 10;
const TOP = 64;
const BOTTOM = 32;

/** The call tree of the stacks: a root `all` holding every sample. */
export function flameTree(stacks: readonly FoldedStack[]): FlameNode {
  const root: FlameNode = { name: 'all', samples: 0n, children: new Map() };
  for (const s of stacks) {
    root.samples += s.count;
    let node = root;
    for (const f of s.frames) {
      let child = node.children.get(f);
      if (!child) {
        child = { name: f, samples: 0n, children: new Map() };
        node.children.set(f, child);
      }
      child.samples += s.count;
      node = child;
    }
  }
  return root;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A warm colour that depends on the name only, so one function has one colour in every graph. */
export function frameColor(name: string): string {
  // FNV-1a over the name's UTF-16 units.
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const hue = h % 55;
  const sat = 70 + ((h >>> 8) % 25);
  const light = 52 + ((h >>> 16) % 14);
  return `hsl(${hue},${sat}%,${light}%)`;
}

/** The text a frame of width `w` pixels shows: its name, cut with `..`, or nothing when too narrow. */
export function frameLabel(name: string, w: number): string {
  const fit = Math.floor((w - 6) / (FONT_SIZE * 0.6));
  if (fit < 3) return '';
  return name.length <= fit ? name : name.slice(0, fit - 2) + '..';
}

/** The SVG text of the flame graph of `stacks`. */
export function flameGraphSvg(stacks: readonly FoldedStack[], opts: FlameGraphOptions = {}): string {
  const width = opts.width ?? 1200;
  const root = flameTree(stacks);
  const total = root.samples > 0n ? root.samples : 1n;
  const span = width - 2 * PAD;
  const frames: string[] = [];
  // Depth-first, children in name order; `x` is the frame's first sample.
  const visit = (node: FlameNode, depth: number, x: bigint): void => {
    frames.push(frameElement(node, depth, x));
    let cx = x;
    for (const name of [...node.children.keys()].sort()) {
      const child = node.children.get(name)!;
      visit(child, depth + 1, cx);
      cx += child.samples;
    }
  };
  const frameElement = (node: FlameNode, depth: number, x: bigint): string => {
    const px = PAD + (Number(x) / Number(total)) * span;
    const pw = (Number(node.samples) / Number(total)) * span;
    const y = height - BOTTOM - (depth + 1) * FRAME_HEIGHT;
    const name = escapeXml(node.name);
    return (
      `<g class="f" data-x="${x}" data-w="${node.samples}" data-d="${depth}" data-n="${name}">` +
      `<rect x="${px.toFixed(2)}" y="${y}" width="${pw.toFixed(2)}" height="${FRAME_HEIGHT - 1}" fill="${frameColor(node.name)}" rx="2"/>` +
      `<text x="${(px + 3).toFixed(2)}" y="${y + FRAME_HEIGHT - 4}">${escapeXml(frameLabel(node.name, pw))}</text></g>`
    );
  };
  // The height needs the depth first.
  const depthOf = (node: FlameNode): number => {
    let d = 0;
    for (const c of node.children.values()) d = Math.max(d, depthOf(c) + 1);
    return d;
  };
  const height = TOP + (depthOf(root) + 1) * FRAME_HEIGHT + BOTTOM;
  visit(root, 0, 0n);

  const title = escapeXml(opts.title ?? 'Flame Graph');
  const subtitle = opts.subtitle ? `<text x="${width / 2}" y="44" class="subtitle">${escapeXml(opts.subtitle)}</text>` : '';
  return `<?xml version="1.0" standalone="no"?>
<svg version="1.1" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-total="${root.samples}" data-width="${width}" data-pad="${PAD}" data-font="${FONT_SIZE}">
<style>
  text { font-family: monospace; font-size: ${FONT_SIZE}px; fill: #000; }
  .title { font-size: 17px; text-anchor: middle; }
  .subtitle { fill: #555; text-anchor: middle; }
  .button { cursor: pointer; fill: #225; }
  .button:hover { text-decoration: underline; }
  g.f { cursor: pointer; }
  g.f text { pointer-events: none; }
  g.f:hover rect { stroke: #000; stroke-width: 0.5; }
  g.f.match rect { fill: rgb(230, 0, 230); }
  g.f.parent { opacity: 0.5; }
  #tip rect { fill: #fffff0; stroke: #444; stroke-width: 0.5; }
  #tip { pointer-events: none; }
</style>
<defs><linearGradient id="bg" y1="0" y2="1" x1="0" x2="0"><stop stop-color="#eeeeee" offset="5%"/><stop stop-color="#eeeeb0" offset="95%"/></linearGradient></defs>
<rect x="0" y="0" width="${width}" height="${height}" fill="url(#bg)"/>
<text x="${width / 2}" y="24" class="title">${title}</text>
${subtitle}
<text id="reset-zoom" x="${PAD}" y="24" class="button" style="display:none">Reset Zoom</text>
<text id="search" x="${width - PAD}" y="24" class="button" text-anchor="end">Search</text>
<text id="details" x="${PAD}" y="${height - 12}"> </text>
<text id="matched" x="${width - PAD}" y="${height - 12}" text-anchor="end"></text>
<g id="frames">
${frames.join('\n')}
</g>
<g id="tip" style="display:none"><rect id="tip-box" x="0" y="0" width="100" height="20" rx="3"/><text id="tip-text" x="6" y="14"></text></g>
<script type="text/ecmascript"><![CDATA[${FLAME_SCRIPT}]]></script>
</svg>
`;
}

export interface MapsFlameGraph {
  readonly svg: string;
  /** The maps keyed by a stack that went into it. */
  readonly maps: readonly string[];
  readonly samples: bigint;
}

/** The flame graph of every map keyed by a stack among `dumps` (`--flamegraph`, `.flamegraph`). */
export function mapsFlameGraph(dumps: readonly MapDump[], title?: string): MapsFlameGraph {
  const maps = dumps.filter(isStackMap).map((d) => d.name);
  const stacks = foldMaps(dumps);
  let samples = 0n;
  for (const s of stacks) samples += s.count;
  const what = maps.length ? maps.join(', ') : 'no map keyed by a stack';
  const subtitle = `${what}: ${samples} sample${samples === 1n ? '' : 's'}`;
  return { svg: flameGraphSvg(stacks, { subtitle, ...(title !== undefined ? { title } : {}) }), maps, samples };
}
