import type * as ast from '../ast/nodes.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { kernelBtfTypes } from '../kernel/btf.js';
import type { CType } from '../contract/types.js';
import type { Type } from '../types/types.js';

/**
 * A bare identifier that names an enumerator: the script's first, then the kernel's (BTF), as
 * bpftrace resolves them; the value's type carries its enum so it prints symbolized.
 */
export function enumConstant(name: string, script: ScriptEnums): EnumConstant | undefined {
  const own = script.constant(name);
  if (own) return own;
  const k = kernelBtfTypes()?.enumConstant(name);
  if (!k) return undefined;
  const bits = ([8, 16, 32, 64] as const).find((b) => b / 8 >= k.size) ?? 64;
  return { value: k.value, type: { kind: 'int', bits, signed: k.signed, enum: { name: k.enumName, names: k.names() } } };
}

/** One enumerator as a constant: its value and its enum-typed integer type. */
export interface EnumConstant {
  readonly value: bigint;
  readonly type: Type;
}

/**
 * The script's `enum` definitions (C's rules, as bpftrace hands them to clang): an enumerator
 * without a value is the previous one plus one (the first is 0); values are constant expressions
 * over integers and earlier enumerators. The enum is 4 bytes (C's int) unless a value needs 8.
 * `enum Foo` is then a type (casts symbolize: `(enum Foo)1` prints `ONE` with `%s`), and every
 * enumerator an identifier whose value prints symbolized.
 */
export class ScriptEnums {
  private readonly constants = new Map<string, EnumConstant>();
  private readonly types = new Map<string, CType>();

  constructor(defs: readonly ast.EnumDef[] = [], diags?: Diagnostics) {
    let anonymous = 0;
    for (const def of defs) {
      const values: [string, bigint][] = [];
      let next = 0n;
      for (const en of def.enumerators) {
        let value = next;
        if (en.value) {
          const v = this.evaluate(en.value, values, diags);
          if (v === undefined) continue;
          value = v;
        }
        if (this.constants.has(en.name) || values.some(([n]) => n === en.name)) {
          diags?.error('duplicate-enumerator', `enumerator ${en.name} is defined twice`, en.span);
        }
        values.push([en.name, value]);
        next = value + 1n;
      }
      const name = def.name ?? `(anonymous ${++anonymous})`;
      const signed = values.some(([, v]) => v < 0n);
      const fits32 = values.every(([, v]) => v >= -(1n << 31n) && v < 1n << 32n);
      const size = fits32 ? 4 : 8;
      const names: Record<string, string> = {};
      for (const [n, v] of values) names[v.toString()] ??= n;
      const ctype: CType = { kind: 'enum', name, size, signed, names: () => names };
      if (def.name !== undefined) this.types.set(`enum ${def.name}`, ctype);
      const type: Type = { kind: 'int', bits: (size * 8) as 32 | 64, signed, enum: { name, names } };
      for (const [n, value] of values) this.constants.set(n, { value, type });
    }
  }

  /** The enumerator called `name`, if the script defines one. */
  constant(name: string): EnumConstant | undefined {
    return this.constants.get(name);
  }

  /** `enum Foo` as a C type. */
  type(name: string): CType | undefined {
    return this.types.get(name);
  }

  private evaluate(e: ast.Expr, earlier: readonly [string, bigint][], diags?: Diagnostics): bigint | undefined {
    const fail = (): undefined => {
      diags?.error('enum-value', 'an enumerator\'s value must be a constant integer expression', e.span);
      return undefined;
    };
    switch (e.kind) {
      case 'IntLiteral':
        return e.value;
      case 'Identifier': {
        const v = earlier.find(([n]) => n === e.name)?.[1] ?? this.constants.get(e.name)?.value;
        return v ?? fail();
      }
      case 'Unary': {
        const v = this.evaluate(e.operand, earlier, diags);
        if (v === undefined) return undefined;
        if (e.op === '-') return -v;
        if (e.op === '~') return ~v;
        return fail();
      }
      case 'Binary': {
        const l = this.evaluate(e.left, earlier, diags);
        const r = this.evaluate(e.right, earlier, diags);
        if (l === undefined || r === undefined) return undefined;
        switch (e.op) {
          case '+': return l + r;
          case '-': return l - r;
          case '*': return l * r;
          case '/': return r === 0n ? fail() : l / r;
          case '%': return r === 0n ? fail() : l % r;
          case '<<': return l << r;
          case '>>': return l >> r;
          case '|': return l | r;
          case '&': return l & r;
          case '^': return l ^ r;
          default: return fail();
        }
      }
      default:
        return fail();
    }
  }
}
