import type * as ast from '../ast/nodes.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { MapType } from '../contract/index.js';
import { didYouMean } from './suggest.js';
import type { MapSpec } from './program-info.js';

/**
 * Top-level map declarations, `let @a = hash(100);` (bpftrace 0.26: type_checker.cpp
 * `visit(MapDeclStatement)`, bpfmap.cpp `bpf_map_types_compatible`): the BPF map type and its
 * max entries. Per-CPU kinds hold aggregations (count(), sum(), hist() ...); the others hold
 * plain values.
 */
export interface DeclaredMap {
  readonly bpfType: number;
  readonly maxEntries: number;
  readonly perCpu: boolean;
  readonly decl: ast.MapDecl;
}

/** bpftrace's names → BPF map types (include/uapi/linux/bpf.h). */
export const DECLARABLE_MAP_TYPES: Readonly<Record<string, { bpfType: number; perCpu: boolean }>> = {
  hash: { bpfType: MapType.HASH, perCpu: false },
  lruhash: { bpfType: MapType.LRU_HASH, perCpu: false },
  percpuhash: { bpfType: MapType.PERCPU_HASH, perCpu: true },
  percpulruhash: { bpfType: MapType.LRU_PERCPU_HASH, perCpu: true },
};

export function readMapDecls(program: ast.Program, diags: Diagnostics): Map<string, DeclaredMap> {
  const out = new Map<string, DeclaredMap>();
  for (const d of program.mapDecls) {
    const kind = DECLARABLE_MAP_TYPES[d.mapKind];
    if (!kind) {
      const hint = didYouMean(d.mapKind, Object.keys(DECLARABLE_MAP_TYPES));
      diags.error('invalid-map-type', `Invalid bpf map type: ${d.mapKind}`, d.span, [
        ...(hint ? [`did you mean ${hint}?`] : []),
        `Valid map types: ${Object.keys(DECLARABLE_MAP_TYPES).join(', ')}`,
      ]);
      continue;
    }
    const arg = d.args[0];
    if (d.args.length !== 1 || arg?.kind !== 'IntLiteral' || arg.value < 1n || arg.value > 0xffffffffn) {
      diags.error('invalid-argument', `${d.mapKind}() takes one argument: the maximum number of entries, a positive integer literal`, arg?.span ?? d.span);
      continue;
    }
    if (out.has(d.name)) {
      diags.error('duplicate-map-declaration', `${d.name} is declared twice`, d.span);
      continue;
    }
    out.set(d.name, { ...kind, maxEntries: Number(arg.value), decl: d });
  }
  return out;
}

/**
 * After type checking: a declared map's kind must fit its values, and a declared map that is
 * never used gets bpftrace's warning.
 */
export function checkMapDecls(decls: ReadonlyMap<string, DeclaredMap>, maps: ReadonlyMap<string, MapSpec>, isPerCpuKind: (spec: MapSpec) => boolean, diags: Diagnostics): void {
  for (const [name, d] of decls) {
    const spec = maps.get(name);
    if (!spec) {
      diags.warning('unused-map', `Unused map: ${name}`, d.decl.span);
      continue;
    }
    const needsPerCpu = isPerCpuKind(spec);
    if (needsPerCpu !== d.perCpu) {
      const fromValue = needsPerCpu ? 'percpuhash' : 'hash';
      diags.error('incompatible-map-type', `Incompatible map types. Type from declaration: ${d.decl.mapKind}. Type from value/key type: ${fromValue}`, d.decl.span, [
        needsPerCpu ? `${name} holds an aggregation (${spec.kind}()): declare it with percpuhash or percpulruhash` : `${name} holds plain values: declare it with hash or lruhash`,
      ]);
    }
  }
}
