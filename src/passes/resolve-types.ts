import type * as ast from '../ast/nodes.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { lineCol, type SourceFile, type Span } from '../common/span.js';
import { isProbeIdKey, PROBE_STR_SIZE, typeEquals, typeToString, type Type } from '../types/types.js';
import { isFlex, promoteInt } from './int-semantics.js';
import type { MapKind, MapSpec } from './program-info.js';

/**
 * Type resolution for the whole script (bpftrace docs/type_resolution.md): every map's key and
 * value types and every scratch variable's type are the promotion of all the types the script
 * gives them, in every probe, before any code is generated. Integers promote as bpftrace's
 * get_promoted_int, strings take the largest size, tuples and records promote element by element,
 * pointers keep their pointee. A conflict is reported at the use that conflicts, with a hint
 * naming the place that settled the type.
 *
 * The rules live here (promoteType, TypeTable); resolveTypes runs a typing walk of every probe
 * until no map or variable type changes (a fixed point), so a map read in one probe before
 * another probe assigns it, or promoted by a later probe, has its final type everywhere. Lowering
 * then converts each use's value to the resolved layout.
 */

/** bpftrace's get_promoted_type: the common type of `current` and `next`, or undefined when they conflict. */
export function promoteType(current: Type | undefined, next: Type): Type | undefined {
  if (current === undefined || current.kind === 'none') return next;
  if (next.kind === 'none') return current;
  if (current.kind === 'int' && next.kind === 'int') {
    if (current.isBool !== next.isBool) return undefined;
    if (current.isBool) return current;
    const p = promoteInt(current, next);
    // Values of one enum stay that enum (bpftrace prints them symbolized); mixing drops it.
    if (current.enum && current.enum.name === next.enum?.name) return { kind: 'int', bits: p.bits, signed: p.signed, enum: current.enum };
    return p.flex && isFlex(current) && isFlex(next) ? p : { kind: 'int', bits: p.bits, signed: p.signed };
  }
  if (current.kind === 'str' && next.kind === 'str') return current.size >= next.size ? current : next;
  // `@[probe]` in one place and a string key in another: the map keeps the string layout (src/passes/lower-maps.ts probeKey).
  if (isProbeIdKey(current) && next.kind === 'str') return { kind: 'str', size: Math.max(PROBE_STR_SIZE, next.size) };
  if (current.kind === 'str' && isProbeIdKey(next)) return { kind: 'str', size: Math.max(PROBE_STR_SIZE, current.size) };
  if (current.kind === 'ptr' && next.kind === 'ptr') {
    // Pointers to the same type; a void pointer takes the other's pointee.
    // Qualifiers do not change what is stored: `const struct x *` and `struct x *` are one type.
    const bare = (to: string): string => to.replace(/\b(const|volatile)\s+/g, '').trim();
    if (bare(current.to) === bare(next.to)) return current;
    if (/^void\b/.test(bare(current.to))) return next;
    if (/^void\b/.test(bare(next.to))) return current;
    return undefined;
  }
  if (current.kind === 'tuple' && next.kind === 'tuple') return promoteAggregate(current, next);
  return typeEquals(current, next) ? current : undefined;
}

function promoteAggregate(a: Type & { kind: 'tuple' }, b: Type & { kind: 'tuple' }): Type | undefined {
  // C structs and arrays have one layout: only the same type.
  if (a.offsets || b.offsets || a.array || b.array || a.cname || b.cname) return typeEquals(a, b) ? a : undefined;
  if (a.elems.length !== b.elems.length || (a.names === undefined) !== (b.names === undefined)) return undefined;
  const elems: Type[] = [];
  for (let i = 0; i < a.elems.length; i++) {
    // Records keep the current field order (bpftrace get_promoted_record).
    const j = a.names && b.names ? b.names.indexOf(a.names[i]!) : i;
    if (j < 0) return undefined;
    const p = promoteType(a.elems[i]!, b.elems[j]!);
    if (!p) return undefined;
    elems.push(p);
  }
  return a.names ? { kind: 'tuple', elems, names: a.names } : { kind: 'tuple', elems };
}

/** Promote element-wise; undefined when the lists differ in length or any element conflicts. */
export function promoteTypes(current: readonly Type[], next: readonly Type[]): Type[] | undefined {
  if (current.length !== next.length) return undefined;
  const out: Type[] = [];
  for (let i = 0; i < current.length; i++) {
    const p = promoteType(current[i], next[i]!);
    if (!p) return undefined;
    out.push(p);
  }
  return out;
}

/** The script's resolved map types: lowering observes every use of a map through it. */
export class TypeTable {
  readonly maps = new Map<string, MapSpec>();
  /** Where each map's key and value types were last widened (for the hint of a conflict). */
  private readonly keySites = new Map<string, Span>();
  private readonly valueSites = new Map<string, Span>();

  /**
   * Set once the types are resolved: a use that would still change a type is then a tsbpf bug
   * (code already generated for other uses has the old layout), reported instead of applied.
   */
  private frozen = false;

  constructor(private readonly source?: SourceFile) {}

  freeze(): void {
    this.frozen = true;
  }

  /** A type change after freeze(): refused with an internal diagnostic. */
  private unsettled(name: string, span: Span, diags: Diagnostics): undefined {
    diags.error('internal-type-resolution', `internal error: the types of ${name} did not settle before code generation`, span);
    return undefined;
  }

  /**
   * A use of map `name` with keys of `keyTypes` at `span`: the map's key types promoted with them,
   * or undefined after reporting a conflict. An unknown map is not declared by a key use alone.
   */
  observeKeys(name: string, keyTypes: readonly Type[], span: Span, diags: Diagnostics): readonly Type[] | undefined {
    const spec = this.maps.get(name);
    if (!spec) return keyTypes;
    const promoted = promoteTypes(spec.keyTypes, keyTypes);
    if (!promoted) {
      const scalar = spec.keyTypes.length === 0 || keyTypes.length === 0;
      diags.error(
        'map-key-mismatch',
        scalar
          ? `${name} is used ${keyTypes.length === 0 ? 'without a key' : `with keys [${keyTypes.map(typeToString).join(', ')}]`} here but ${spec.keyTypes.length === 0 ? 'without a key' : `with keys [${spec.keyTypes.map(typeToString).join(', ')}]`} elsewhere`
          : `${name} is used with keys [${keyTypes.map(typeToString).join(', ')}] here but [${spec.keyTypes.map(typeToString).join(', ')}] elsewhere`,
        span,
        this.hintAt(`${name} is keyed by [${spec.keyTypes.map(typeToString).join(', ')}]`, this.keySites.get(name) ?? spec.firstUse.span),
      );
      return undefined;
    }
    if (!typeListEquals(promoted, spec.keyTypes)) {
      if (this.frozen) return this.unsettled(name, span, diags);
      spec.keyTypes = promoted;
      this.keySites.set(name, span);
    }
    return spec.keyTypes;
  }

  /**
   * An assignment (or aggregation) to map `name`: declares it on first use, else checks the kind
   * and promotes the value type. Undefined after reporting a conflict.
   */
  observeValue(name: string, kind: MapKind, keyTypes: readonly Type[], valueType: Type, params: readonly bigint[], node: ast.Node, diags: Diagnostics, span: Span): MapSpec | undefined {
    const existing = this.maps.get(name);
    if (!existing) {
      if (this.frozen) return this.unsettled(name, span, diags);
      const spec: MapSpec = { name, kind, keyTypes: [...keyTypes], valueType, params, firstUse: node };
      this.maps.set(name, spec);
      this.keySites.set(name, span);
      this.valueSites.set(name, node.span);
      return spec;
    }
    if (!this.observeKeys(name, keyTypes, span, diags)) return undefined;
    const other = this.valueSites.get(name) ?? existing.firstUse.span;
    // An aggregation's map takes no other writes: `@x = count(); @x++` (or `@x += n`, `@x = 0`) is
    // bpftrace's "Type mismatch for @x" (type_resolver.cpp get_map_value_type); clear()/zero() reset it.
    if (existing.kind !== kind) {
      diags.error('map-type-mismatch', mapTypeMismatch(name, { kind, valueType, params }, existing), node.span,
        this.hintAt(`${name} holds ${describeKind(existing)}`, other));
      return undefined;
    }
    if (kind === 'value' || (kind === 'int' && existing.kind === 'int')) {
      const promoted = promoteType(existing.valueType, valueType);
      if (!promoted) {
        diags.error('map-type-mismatch', mapTypeMismatch(name, { kind, valueType, params }, existing), node.span,
          this.hintAt(`${name} holds ${typeToString(existing.valueType)}`, other));
        return undefined;
      }
      if (!typeEquals(promoted, existing.valueType)) {
        if (this.frozen) return this.unsettled(name, span, diags);
        existing.valueType = promoted;
        this.valueSites.set(name, node.span);
      }
    }
    if (existing.params.join() !== params.join()) {
      diags.error('map-type-mismatch', `${name} is used with different ${kind} parameters`, node.span, this.hintAt(`${name}'s parameters`, other));
      return undefined;
    }
    return existing;
  }

  /** The hint of a conflict: the other place, as line:column of the script. */
  private hintAt(what: string, span: Span | undefined): string[] {
    if (!span || !this.source) return [];
    const { line, col } = lineCol(this.source.text, span.start);
    const text = this.source.text.slice(span.start, Math.min(span.end, span.start + 60)).split('\n')[0];
    return [`${what} at ${this.source.name}:${line}:${col}: ${text}`];
  }

  /** A text that changes whenever a resolved type changes (the fixed point test). */
  fingerprint(): string {
    return [...this.maps.values()].map((s) => `${s.name}:${s.kind}:${s.keyTypes.map(typeKey).join(',')}:${typeKey(s.valueType)}:${s.params.join(',')}`).join(';');
  }
}

/** A type's text with what typeToString leaves out (sign-flexible literals). */
function typeKey(t: Type): string {
  if (t.kind === 'int') return `${typeToString(t)}${t.flex ? '~' : ''}`;
  if (t.kind === 'tuple' && !t.offsets) return `${t.names ? 'r' : 't'}(${t.elems.map(typeKey).join(',')})${t.names?.join(',') ?? ''}`;
  return typeToString(t);
}

function typeListEquals(a: readonly Type[], b: readonly Type[]): boolean {
  return a.length === b.length && a.every((t, i) => typeEquals(t, b[i]!) && isFlex(t) === isFlex(b[i]!));
}

/** bpftrace's words for a map assigned a value its type cannot take (type_resolver.cpp get_map_value_type). */
function mapTypeMismatch(name: string, assigned: MapValueShape, existing: MapValueShape): string {
  return `Type mismatch for ${name}: trying to assign value of type '${bpftraceTypeName(assigned)}' when map already has a type '${bpftraceTypeName(existing)}'`;
}

type MapValueShape = { kind: MapKind; valueType: Type; params: readonly bigint[] };

/**
 * A map value's type as bpftrace names it: a plain value by its type, an aggregation by its own
 * (`count_t`, `sum_t`, `hist_t`...; tsbpf keeps no sign for them, so no `usum_t`).
 */
function bpftraceTypeName(s: MapValueShape): string {
  return s.kind === 'int' || s.kind === 'value' ? typeToString(s.valueType) : `${s.kind}_t`;
}

export function describeKind(s: { kind: MapKind; valueType: Type; params: readonly bigint[] }): string {
  switch (s.kind) {
    case 'int':
      return s.valueType.kind === 'ptr' ? `a ${typeToString(s.valueType)}` : 'an integer';
    case 'value':
      return `a ${typeToString(s.valueType)}`;
    default:
      return `${s.kind}()`;
  }
}

/** What resolveTypes settled: the map table and the scratch variables' types (by declaration). */
export interface ResolvedTypes {
  readonly table: TypeTable;
  readonly varTypes: Map<string, Type>;
  /** Typing walks it took to reach the fixed point. */
  readonly rounds: number;
}

/**
 * Resolve every map's and variable's type: `typeProbes` walks all probes once, observing each use
 * in the table and variable types; walks repeat until nothing changes (bounded: types only grow,
 * and a chain of promotions is short). Diagnostics of these walks are not reported: the final
 * lowering, which reads the resolved types, reports them once in order.
 */
export function resolveTypes(typeProbes: (table: TypeTable, varTypes: Map<string, Type>) => void, source?: SourceFile, maxRounds = 8): ResolvedTypes {
  const table = new TypeTable(source);
  const varTypes = new Map<string, Type>();
  let before = '';
  let rounds = 0;
  while (rounds < maxRounds) {
    typeProbes(table, varTypes);
    rounds++;
    const now = `${table.fingerprint()}|${[...varTypes].map(([k, t]) => `${k}=${typeKey(t)}`).join(';')}`;
    if (now === before) break;
    before = now;
  }
  table.freeze();
  return { table, varTypes, rounds };
}
