/** Builtin variables read by one BPF helper (`pid`, `comm`, ...): IR builtins the code generator calls (src/codegen/module.ts). */
import type { IrBuiltin } from '../ir/ir.js';
import { cTypeName, type CType } from '../kernel/btf.js';
import { COMM_SIZE, sizeOf, u32, u64, type Type } from '../types/types.js';
import type { LibVar } from './library.js';

function helperVar(name: IrBuiltin, type: Type): LibVar {
  return { name, type: () => type, lower: () => ({ type, int: { op: 'builtin', name } }) };
}

/** bpftrace types curtask as `struct task_struct *` when the kernel has BTF. */
function curtaskType(cx: { resolveType(name: string): CType | undefined }): Type {
  const task = cx.resolveType('struct task_struct');
  return task && task.kind === 'record' ? { kind: 'ptr', to: cTypeName(task), space: 'kernel', ctype: { kind: 'ptr', target: () => task } } : u64;
}

const commType: Type = { kind: 'str', size: COMM_SIZE };

export const HELPER_VARS: readonly LibVar[] = [
  helperVar('pid', u32),
  helperVar('tid', u32),
  helperVar('uid', u32),
  helperVar('gid', u32),
  helperVar('nsecs', u64),
  helperVar('cpu', u32),
  helperVar('rand', u32),
  helperVar('cgroup', u64),
  {
    name: 'curtask',
    type: (_node, tx) => curtaskType(tx),
    lower: (_node, cx) => ({ type: curtaskType(cx), int: { op: 'builtin', name: 'curtask' } }),
  },
  { name: 'comm', type: () => commType, lower: () => ({ type: commType, blob: { op: 'comm', size: sizeOf(commType) } }) },
];
