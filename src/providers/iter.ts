import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { kernelBtfFuncs } from '../kernel/btf-funcs.js';
import { cSizeOf, cTypeName, kernelBtfTypes, type CType } from '../kernel/btf.js';
import { splitAttachPoint } from './attach-point.js';
import { argType } from './btf-args.js';
import { AttachError, AttachType, hasWildcard, ProgType, type ConcreteProbe, type ContextField, type Provider } from './provider.js';

/**
 * `iter:TARGET` (`it`): a BPF iterator over kernel objects (`task`, `task_file`, `task_vma`, ...).
 * The program is a TRACING program of attach type BPF_TRACE_ITER loaded against the kernel's
 * `bpf_iter_TARGET` function; its context is `struct bpf_iter__TARGET`, whose members are
 * `ctx.<name>` (and `args.<name>`). The runtime creates the iterator from the link and reads it to
 * the end once every probe is attached; the run then ends, as bpftrace's does. Targets are the
 * kernel's (bpftrace's get_all_iters: every `struct bpf_iter__X` in BTF).
 *
 * bpftrace's `iter:TARGET:PIN` pins the link so that reading the file runs the program; tsbpf's
 * printf goes through its ring buffer, not the iterator's seq file, so a pinned iterator would
 * print nothing: refused.
 */

const STRUCT_PREFIX = 'struct bpf_iter__';

/** Every iterator target the kernel's BTF has a context struct and a target function for. */
function targets(): string[] {
  const btf = kernelBtfTypes();
  const funcs = kernelBtfFuncs();
  if (!btf || !funcs) return [];
  return btf
    .namesWithPrefix(STRUCT_PREFIX)
    .map((n) => n.slice(STRUCT_PREFIX.length))
    // kernel commit 6fcd486b3a0a adds `bpf_iter__task__safe_trusted`, not an iterator.
    .filter((t) => !t.includes('__') && funcs.funcId(`bpf_iter_${t}`) !== undefined)
    .sort();
}

/**
 * The members of `struct bpf_iter__TARGET`, name and type. The kernel declares each pointer as
 * `__bpf_md_ptr(type, name)`: an anonymous union of the pointer and a 64-bit pad, looked through.
 */
function members(target: string): { name: string; type: CType; offset: number }[] {
  const rec = kernelBtfTypes()?.lookup(`${STRUCT_PREFIX}${target}`);
  if (!rec || rec.kind !== 'record') return [];
  return rec.members().flatMap((m) => {
    if (m.name) return [{ name: m.name, type: m.type, offset: m.bitOffset / 8 }];
    if (m.type.kind !== 'record') return [];
    const named = m.type.members().find((inner) => inner.name !== '');
    return named ? [{ name: named.name, type: named.type, offset: (m.bitOffset + named.bitOffset) / 8 }] : [];
  });
}

/** The context members with a scalar or pointer value, as `ctx.<name>` / `args.<name>` fields. */
function contextFields(target: string): ContextField[] {
  return members(target).flatMap((m) => {
    const type = argType(m.type);
    return type ? [{ name: m.name, offset: m.offset, size: cSizeOf(m.type), type, copied: true }] : [];
  });
}

function concrete(target: string): ConcreteProbe | undefined {
  const id = kernelBtfFuncs()?.funcId(`bpf_iter_${target}`);
  if (id === undefined) return undefined;
  const args = contextFields(target);
  // The last call of an iteration has no object (NULL pointers): skipped, not run.
  const skipIfNull = args.filter((f) => f.name !== 'meta' && f.type.kind === 'ptr').map((f) => f.offset);
  return {
    provider: 'iter',
    name: `iter:${target}`,
    progType: ProgType.TRACING,
    attach: { kind: 'iter', target },
    load: { expectedAttachType: AttachType.TRACE_ITER, attachBtfId: id },
    args,
    registers: [],
    ...(skipIfNull.length ? { skipIfNull } : {}),
  };
}

export const iterProvider: Provider = {
  name: 'iter',
  aliases: ['it'],
  pidFilter: 'none',
  listing: { search: 'name' },
  expand(raw: string, span: Span, diags: Diagnostics): ConcreteProbe[] {
    const parts = splitAttachPoint(raw);
    const target = parts[1] ?? '';
    if (parts.length < 2 || parts.length > 3 || !target) {
      diags.error('invalid-attach-point', `invalid iter "${raw}": expected iter:TARGET (e.g. iter:task)`, span);
      return [];
    }
    if (parts.length === 3) {
      diags.error('unsupported-probe', `iter:${target}:${parts[2]}: pinning an iterator is not supported (tsbpf's printf goes through its ring buffer, so reading the pinned file would print nothing)`, span);
      return [];
    }
    if (!kernelBtfFuncs()) {
      diags.error('no-btf', 'iter probes need kernel BTF (/sys/kernel/btf/vmlinux)', span);
      return [];
    }
    if (hasWildcard(target)) {
      diags.error('invalid-attach-point', `iter "${raw}": an iterator is named exactly (no wildcards); \`-l 'iter:*'\` lists them`, span);
      return [];
    }
    const p = targets().includes(target) ? concrete(target) : undefined;
    // bpftrace's wording (attachpoint_passes.cpp).
    if (!p) diags.error('unknown-probe', `iter ${target} not available for your kernel version.`, span);
    return p ? [p] : [];
  },
  list: () => targets().map((t) => `iter:${t}`),
  describe(name: string): string[] {
    return members(name.split(':')[1] ?? '').map((m) => `    ${cTypeName(m.type)} ${m.name}`);
  },
  explainLoadFailure(p, code) {
    if (code !== 'EPERM' || process.getuid?.() !== 0) return undefined;
    // bpf_map_elem, bpf_sk_storage_map, sockmap: the kernel checks the program against the map it iterates.
    return { message: `cannot load ${p.name}: the kernel refused this iterator (EPERM); an iterator over one map's elements needs that map, which an iter probe cannot name` };
  },
  attach(p, progFd, ops) {
    if (p.attach.kind !== 'iter') throw new Error('iter provider given a foreign probe');
    try {
      // The runtime reads the iterator (BPF_ITER_CREATE on this link) once every probe is attached.
      const fd = ops.linkCreate(progFd, 0, AttachType.TRACE_ITER);
      return { fds: [fd], iterLink: fd };
    } catch (e) {
      throw new AttachError(`cannot attach ${p.name}: ${(e as Error).message}`, undefined, e);
    }
  },
};

