import type { IrBlob, IrCallArg, IrExpr, IrModule, IrProgram, IrStmt } from './ir.js';

/**
 * tsbpf IR as text (`-d ir`, tests): the maps, then each program with its variables and its
 * statements one a line, nested bodies indented. Expressions print inline: common operators in
 * their usual notation (`(pid != 42)`, `@name#0[key]`), every other node as `op{field=...}`.
 * The text is for people; tests assert on the IR data, not on this text.
 */
export function printIrModule(ir: IrModule): string {
  const names = new Map(ir.maps.map((m) => [m.id, m.name] as const));
  const out: string[] = [];
  for (const m of ir.maps) {
    out.push(`map #${m.id} ${m.name} type=${m.bpfType} key=${m.keySize} value=${m.valueSize} entries=${m.maxEntries}`);
  }
  // Where the code generator puts blobs (src/codegen/module.ts buildModule).
  out.push(`on_stack_limit ${ir.onStackLimit}`);
  for (const p of ir.programs) out.push('', ...printProgram(p, names));
  return out.join('\n') + '\n';
}

export function printProgram(p: IrProgram, mapNames: ReadonlyMap<number, string> = new Map()): string[] {
  const pr = new IrPrinter(mapNames);
  const vars = p.vars.map((v) => `$${v.id}:${v.size === undefined ? 'int' : `blob[${v.size}]`}`).join(' ');
  return [`program ${p.name} section=${p.section}${vars ? ` vars ${vars}` : ''}`, ...pr.stmts(p.body, 1)];
}

class IrPrinter {
  constructor(private readonly mapNames: ReadonlyMap<number, string>) {}

  private map(id: number): string {
    return `${this.mapNames.get(id) ?? '@?'}#${id}`;
  }

  stmts(list: readonly IrStmt[], depth: number): string[] {
    return list.flatMap((s) => this.stmt(s, depth));
  }

  private stmt(s: IrStmt, depth: number): string[] {
    const pad = '  '.repeat(depth);
    const err = 'err' in s && s.err !== undefined ? ` err=${s.err}` : '';
    switch (s.op) {
      case 'if': {
        const lines = [`${pad}if ${this.expr(s.cond)}`, ...this.stmts(s.then, depth + 1)];
        if (s.else.length) lines.push(`${pad}else`, ...this.stmts(s.else, depth + 1));
        return lines;
      }
      case 'loop':
        return [`${pad}loop while ${this.expr(s.cond)}`, ...this.stmts(s.body, depth + 1), ...(s.step.length ? [`${pad}step`, ...this.stmts(s.step, depth + 1)] : [])];
      case 'forEachMap':
        return [`${pad}forEachMap ${this.map(s.map)} key=${s.keyVar === undefined ? '-' : `$${s.keyVar}`} value=${s.valueVar === undefined ? '-' : `$${s.valueVar}`}${err}`, ...this.stmts(s.body, depth + 1)];
      case 'callbackLoop':
        return [`${pad}callbackLoop ${this.expr(s.count)} times index=${s.indexVar === undefined ? '-' : `$${s.indexVar}`}${err}`, ...this.stmts(s.body, depth + 1)];
      case 'mapSet':
        return [`${pad}${this.map(s.map)}[${this.blob(s.key)}] = ${this.blob(s.value)}${err}`];
      case 'mapAdd':
        return [`${pad}${this.map(s.map)}[${this.blob(s.key)}] += ${this.expr(s.delta)}${err}`];
      case 'mapDelete':
        return [`${pad}delete ${this.map(s.map)}[${this.blob(s.key)}]`];
      case 'setVar':
        return [`${pad}$${s.id} = ${this.expr(s.value)}`];
      case 'setVarBlob':
        return [`${pad}$${s.id} = ${this.blob(s.value)}`];
      case 'emit':
        return [`${pad}emit ${this.blob(s.record)}`];
      case 'return': case 'break': case 'continue':
        return [`${pad}${s.op}`];
      default:
        return [`${pad}${this.generic(s)}`];
    }
  }

  expr(e: IrExpr): string {
    switch (e.op) {
      case 'const': return e.value.toString();
      case 'builtin': return e.name;
      case 'var': return `$${e.id}`;
      case 'binary': return `(${this.expr(e.left)} ${e.operator}${e.signed ? 's' : ''} ${this.expr(e.right)})`;
      case 'logical': return `(${this.expr(e.left)} ${e.operator} ${this.expr(e.right)})`;
      case 'unary': return `${e.operator}${this.expr(e.operand)}`;
      case 'ternary': return `(${this.expr(e.cond)} ? ${this.expr(e.then)} : ${this.expr(e.else)})`;
      case 'cast': return `(${e.signed ? 'i' : 'u'}${e.bits})${this.expr(e.operand)}`;
      case 'ctxAddr': return 'ctx';
      case 'ctxLoad': return `ctx[${e.offset}:${e.signed ? 'i' : 'u'}${e.size * 8}]`;
      case 'mapGet': return `${this.map(e.map)}[${this.blob(e.key)}]`;
      default: return this.generic(e);
    }
  }

  blob(b: IrBlob): string {
    switch (b.op) {
      case 'int': return `u${b.size * 8}(${this.expr(b.value)})`;
      case 'string': return `${JSON.stringify(b.value)}[${b.size}]`;
      case 'zero': return `zero[${b.size}]`;
      case 'varBlob': return `$${b.id}`;
      case 'record': return `record[${b.size}]{${b.fields.map((f) => `${f.offset}: ${this.blob(f.blob)}`).join(', ')}}`;
      default: return this.generic(b);
    }
  }

  private arg(a: IrCallArg): string {
    switch (a.kind) {
      case 'int': return this.expr(a.value);
      case 'blob': return `&${this.blob(a.blob)}`;
      case 'map': return this.map(a.map);
      case 'ctx': return 'ctx';
      case 'dst': return 'dst';
      case 'blobAt': return `&${this.blob(a.blob)}+${this.expr(a.offset)}`;
    }
  }

  /** `op{field=value, ...}` for nodes without their own notation; nested IR printed as such. */
  private generic(n: IrExpr | IrBlob | IrStmt): string {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(n)) {
      if (k === 'op' || v === undefined) continue;
      parts.push(`${k}=${this.value(k, v)}`);
    }
    return `${n.op}{${parts.join(', ')}}`;
  }

  private value(key: string, v: unknown): string {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'string') return JSON.stringify(v);
    if (key === 'map' && typeof v === 'number') return this.map(v);
    if (typeof v !== 'object' || v === null) return String(v);
    if (Array.isArray(v)) {
      if (key === 'args') return `(${(v as IrCallArg[]).map((a) => this.arg(a)).join(', ')})`;
      if (key === 'stmts') return `[${(v as IrStmt[]).map((s) => this.stmt(s, 0).map((l) => l.trim()).join('; ')).join('; ')}]`;
      return `[${v.map((x) => this.value('', x)).join(', ')}]`;
    }
    const o = v as { op?: string };
    if (typeof o.op === 'string') return isBlob(o) ? this.blob(o as IrBlob) : this.expr(o as IrExpr);
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  }
}

const BLOB_OPS = new Set(['zero', 'int', 'string', 'comm', 'readStr', 'ctxBytes', 'record', 'mapGetBlob', 'varBlob', 'callFill', 'pktBytes', 'slice', 'select', 'readBytes', 'seqBlob']);

function isBlob(o: { op?: string }): boolean {
  return BLOB_OPS.has(o.op!);
}
