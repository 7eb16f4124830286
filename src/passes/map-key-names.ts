/**
 * The names of a map's key parts as the script writes them, for the Prometheus export's labels
 * (`@[comm, pid] = count()` -> `comm="bash",pid="42"`; runtime/export/). A part is named when every
 * use of the map writes it the same way: a builtin (`comm`, `__builtin_comm`), a field
 * (`args.filename` -> `filename`), a variable (`$fd` -> `fd`), a call of a builtin that names a
 * value (`kstack`, `ustack(3)` -> `kstack`, `ustack`). A map whose parts cannot all be named
 * distinctly gets none (the export then numbers them).
 */
import type * as ast from '../ast/nodes.js';
import { visit } from '../ast/walk.js';

/** Map name -> its key parts' names; absent when they are not all known. */
export function mapKeyNames(program: ast.Program): ReadonlyMap<string, readonly string[]> {
  const seen = new Map<string, (string | undefined)[] | null>();
  visit(program, {
    MapRef(node, children) {
      const m = node as ast.MapRef;
      if (m.keys.length > 0) {
        const parts = m.keys.length === 1 && m.keys[0]!.kind === 'Tuple' ? (m.keys[0] as ast.Tuple).elems : m.keys;
        const names = parts.map(partName);
        const before = seen.get(m.name);
        if (before === undefined) seen.set(m.name, names);
        else if (before !== null && (before.length !== names.length || before.some((n, i) => n !== names[i]))) seen.set(m.name, null);
      }
      children();
    },
  });
  const out = new Map<string, readonly string[]>();
  for (const [name, names] of seen) {
    if (!names || names.some((n) => n === undefined)) continue;
    if (new Set(names).size !== names.length) continue;
    out.set(name, names as string[]);
  }
  return out;
}

function partName(e: ast.Expr): string | undefined {
  switch (e.kind) {
    case 'Identifier':
      return e.name.replace(/^__builtin_/, '');
    case 'Variable':
      return e.name.replace(/^\$/, '');
    case 'FieldAccess':
      return e.field;
    case 'Call':
      return e.args.length <= 1 && /^(kstack|ustack|comm|pid|tid|cpu|func|probe|cgroup|uid|gid|username)$/.test(e.callee) ? e.callee : undefined;
    default:
      return undefined;
  }
}
