import type { Node } from './nodes.js';
import { childKeys, forEachChild } from './walk.js';

/**
 * The AST as indented text, one node a line (`-d ast`, `-d types`, tests): the kind, then its
 * scalar properties (`name=`, `op=`, `value=`), then its children one level deeper. A child
 * property is named (`predicate:`) when its node has several; spans are left out. `annotate`
 * appends a note to a node's line (the typed AST: ` :: uint64`).
 */
export function printAst(node: Node, annotate?: (node: Node) => string | undefined): string {
  const lines: string[] = [];
  const print = (n: Node, depth: number): void => {
    const note = annotate?.(n);
    lines.push(`${'  '.repeat(depth)}${n.kind}${scalars(n)}${note ? ` :: ${note}` : ''}`);
    const keys = childKeys(n).filter((k) => present((n as unknown as Record<string, unknown>)[k]));
    if (keys.length <= 1) {
      forEachChild(n, (c) => print(c, depth + 1));
      return;
    }
    let last = '';
    forEachChild(n, (c, key) => {
      if (key !== last) lines.push(`${'  '.repeat(depth + 1)}${key}:`);
      last = key;
      print(c, depth + 2);
    });
  };
  print(node, 0);
  return lines.join('\n') + '\n';
}

const HIDDEN = new Set(['kind', 'span', 'fieldSpan', 'calleeSpan']);

function present(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null;
}

/** ` key=value` for each property that is not a child, a span or empty. */
function scalars(n: Node): string {
  const children = new Set(childKeys(n));
  let out = '';
  for (const [k, v] of Object.entries(n)) {
    if (HIDDEN.has(k) || children.has(k) || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out += ` ${k}=${scalar(v)}`;
  }
  return out;
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(scalar).join(', ')}]`;
  return String(v);
}
