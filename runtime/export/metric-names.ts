/**
 * How a map and its keys are named in the Prometheus export (documented in README.md "Prometheus
 * export"): `@` is `tsbpf_map`, `@name` is `tsbpf_name`; every series has a `map` label with the
 * map's own name; keys are labelled as the script writes them (`@[comm, pid]`: `comm`, `pid`),
 * else one key is the label `key`, several keys (or one tuple key) are `key0`, `key1`, ..., and a
 * record key `(a = 1, b = 2)` names its labels by its fields.
 */
import { valueText, type Value } from '../output/value.js';

/** Prometheus metric and label names: `[a-zA-Z_:][a-zA-Z0-9_:]*`; labels have no `:`. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Labels the export itself sets: a key field named so falls back to `keyN`. */
const RESERVED_LABELS = new Set(['map', 'le', 'key']);

/** The metric family name of a map: `@` -> `tsbpf_map`, `@calls` -> `tsbpf_calls` (other characters -> `_`). */
export function metricBaseName(mapName: string): string {
  const bare = mapName.replace(/^@/, '');
  return bare === '' ? 'tsbpf_map' : 'tsbpf_' + bare.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** A map key's parts: several keys, or the fields of one tuple or record key. */
function keyParts(key: readonly Value[]): { name?: string; value: Value }[] {
  if (key.length === 1) {
    const k = key[0]!;
    if (k.kind === 'tuple') return k.elems.map((value) => ({ value }));
    if (k.kind === 'record') return k.fields.map((f) => ({ name: f.name, value: f.value }));
  }
  return key.map((value) => ({ value }));
}

/**
 * The label names of a map's keys, decided from one key (all keys of a map have one type): the
 * names the script gives its key parts (`@[comm, pid]` -> `comm`, `pid`; `written`, from the
 * compiler) where all are usable, else `key` for a single plain key, the record's field names
 * where they are usable, `keyN` otherwise.
 */
export function keyLabelNames(key: readonly Value[], written?: readonly string[]): string[] {
  if (key.length === 0) return [];
  const parts = keyParts(key);
  if (written && written.length === parts.length && new Set(written).size === written.length) {
    if (written.every((n) => LABEL_NAME.test(n) && !n.startsWith('__') && !RESERVED_LABELS.has(n))) return [...written];
  }
  if (key.length === 1 && parts.length === 1 && key[0]!.kind !== 'tuple' && key[0]!.kind !== 'record') return ['key'];
  const names: string[] = [];
  parts.forEach((p, i) => {
    const usable = p.name !== undefined && LABEL_NAME.test(p.name) && !p.name.startsWith('__') && !RESERVED_LABELS.has(p.name) && !names.includes(p.name);
    names.push(usable ? p.name! : `key${i}`);
  });
  // A field named like a later positional label (`key1`) would repeat it: positional names throughout.
  return new Set(names).size === names.length ? names : parts.map((_, i) => `key${i}`);
}

/** The label values of a key, in keyLabelNames' order. */
export function keyLabelValues(key: readonly Value[]): string[] {
  if (key.length === 0) return [];
  if (key.length === 1 && key[0]!.kind !== 'tuple' && key[0]!.kind !== 'record') return [labelValueText(key[0]!)];
  return keyParts(key).map((p) => labelValueText(p.value));
}

/** A value as label text: as tsbpf prints it, but a stack's frames one per line without indentation. */
function labelValueText(v: Value): string {
  switch (v.kind) {
    case 'int':
      return v.value.toString();
    case 'str':
      return v.value;
    case 'stack':
      return v.frames.map((f) => f.trim()).join('\n');
    default:
      return valueText(v);
  }
}

/** Label value escaping of the text formats: backslash, double quote and newline. */
export function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
