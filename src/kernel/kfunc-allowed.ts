/**
 * Whether a program of one type may call a kernel function (kfunc): bpftrace's
 * BPFfeature::kfunc_allowed, a load probe of `call kfunc; exit` whose verifier log says "calling
 * kernel function X is not allowed" when the kfunc's id set does not include the program type.
 * Loads through the native addon, so only the compile worker (as root) asks; the answer is
 * cached per kfunc and program type.
 */
import { bpf, isNativeError } from '../../native/index.js';
import { kernelBtfFuncs } from './btf-funcs.js';

const BPF_CALL = 0x85;
const BPF_EXIT = 0x95;
const BPF_PSEUDO_KFUNC_CALL = 2;

const cache = new Map<string, boolean>();

export interface ProgramKind {
  readonly progType: number;
  readonly load?: { readonly expectedAttachType?: number; readonly attachBtfId?: number };
}

export function kfuncAllowed(name: string, prog: ProgramKind): boolean {
  const id = kernelBtfFuncs()?.funcId(name);
  if (id === undefined) return false;
  const key = `${name}/${prog.progType}/${prog.load?.expectedAttachType ?? ''}/${prog.load?.attachBtfId ?? ''}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const insns = Buffer.alloc(16);
  insns[0] = BPF_CALL;
  insns[1] = BPF_PSEUDO_KFUNC_CALL << 4;
  insns.writeInt32LE(id, 4);
  insns[8] = BPF_EXIT;
  let allowed: boolean;
  try {
    bpf.close(bpf.progLoad(prog.progType, insns, 'GPL', 'kfunc_probe', { ...prog.load, logLevel: 1, logSize: 65536 }).fd);
    allowed = true;
  } catch (e) {
    // Any other refusal (the probe passes no arguments) is not about the program type.
    allowed = !(isNativeError(e) && (e.log ?? '').includes(`calling kernel function ${name} is not allowed`));
  }
  cache.set(key, allowed);
  return allowed;
}
