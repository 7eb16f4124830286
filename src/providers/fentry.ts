import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { kernelBtfFuncs } from '../kernel/btf-funcs.js';
import { kernelBtfTypes } from '../kernel/btf.js';
import { splitAttachPoint } from './attach-point.js';
import { argType, btfArgFields } from './btf-args.js';
import { AttachError, AttachType, globToRegExp, hasWildcard, ProgType, type ConcreteProbe, type ContextField, type Provider } from './provider.js';

/**
 * `fentry:[module:]function` / `fexit:...` (legacy `kfunc`/`kretfunc`): TRACING programs loaded
 * against the function's BTF id, `args.<name>` typed from BTF (and a typed `retval` in fexit),
 * attached with a link. Loading TRACING programs is refused (EPERM) by a security module on some
 * machines: the load error says so.
 */

function makeFentryProvider(name: 'fentry' | 'fexit', aliases: string[]): Provider {
  const isReturn = name === 'fexit';

  const concrete = (func: string): ConcreteProbe | undefined => {
    const btf = kernelBtfFuncs();
    const id = btf?.funcId(func);
    const proto = btf?.funcProto(func);
    if (!btf || id === undefined || !proto) return undefined;
    const args = btfArgFields(proto.params);
    const registers: ContextField[] = [];
    if (isReturn) {
      const t = proto.retTypeId ? argType(kernelBtfTypes()!.type(proto.retTypeId)) : undefined;
      if (t) registers.push({ name: 'retval', offset: 8 * proto.params.length, size: 8, type: t });
    }
    return {
      provider: name,
      name: `${name}:vmlinux:${func}`,
      progType: ProgType.TRACING,
      attach: { kind: 'fentry', func, isReturn },
      load: { expectedAttachType: isReturn ? AttachType.TRACE_FEXIT : AttachType.TRACE_FENTRY, attachBtfId: id },
      args,
      registers,
    };
  };

  return {
    name,
    aliases,
    pidFilter: 'program',
    // bpftrace's show_in_kernel_list has fentry, not fexit.
    listing: { ...(name === 'fentry' ? { wildcard: 'kernel' as const } : {}), search: 'target' },
    expand(raw: string, span: Span, diags: Diagnostics): ConcreteProbe[] {
      const parts = splitAttachPoint(raw);
      if ((parts.length !== 2 && parts.length !== 3) || !parts[parts.length - 1]) {
        diags.error('invalid-attach-point', `invalid ${name} "${raw}": expected ${name}:[module:]function`, span);
        return [];
      }
      if (!kernelBtfFuncs()) {
        diags.error('no-btf', `${name} probes need kernel BTF (/sys/kernel/btf/vmlinux)`, span);
        return [];
      }
      const module = parts.length === 3 ? parts[1]! : 'vmlinux';
      if (module === 'bpf') {
        diags.error('unsupported-probe', `${name} on BPF programs is not supported yet`, span);
        return [];
      }
      if (module !== 'vmlinux' && !hasWildcard(module)) {
        diags.error('unknown-probe', `${name} module ${module} is not supported (only vmlinux)`, span);
        return [];
      }
      const func = parts[parts.length - 1]!;
      const names = hasWildcard(func) ? kernelBtfFuncs()!.functions().filter((f) => globToRegExp(func).test(f)) : [func];
      const out = names.flatMap((f) => concrete(f) ?? []);
      if (out.length === 0) diags.error('unknown-probe', hasWildcard(func) ? `no kernel function matches ${func}` : `kernel function not found in BTF: ${func}`, span);
      return out;
    },
    list: () => (kernelBtfFuncs()?.functions() ?? []).map((f) => `${name}:vmlinux:${f}`),
    describe(probeName: string): string[] {
      const proto = kernelBtfFuncs()?.funcProto(probeName.split(':').pop() ?? '');
      if (!proto) return [];
      const lines = proto.params.map((p) => `    ${p.typeName} ${p.name}`);
      // bpftrace prints no retval line for a void function (btf.cpp get_params_from_btf).
      if (isReturn && proto.retTypeId !== 0) lines.push(`    ${proto.retTypeName} retval`);
      return lines;
    },
    attach(p, progFd, ops) {
      if (p.attach.kind !== 'fentry') throw new Error(`${name} provider given a foreign probe`);
      try {
        return { fds: [ops.linkCreate(progFd, 0, isReturn ? AttachType.TRACE_FEXIT : AttachType.TRACE_FENTRY)] };
      } catch (e) {
        throw new AttachError(`cannot attach ${p.name}: ${(e as Error).message}`, undefined, e);
      }
    },
    explainLoadFailure(p, code) {
      if (code !== 'EPERM' || process.getuid?.() !== 0) return undefined;
      return {
        message: `cannot load ${p.name}: the kernel refused to load a TRACING (fentry/fexit) program (EPERM), although tsbpf runs as root; a security module (lockdown, LSM BPF policy) forbids it here`,
        hint: 'kprobe/kretprobe or a tracepoint may cover the same event',
      };
    },
  };
}

export const fentryProvider = makeFentryProvider('fentry', ['f', 'kfunc']);
export const fexitProvider = makeFentryProvider('fexit', ['fr', 'kretfunc']);
