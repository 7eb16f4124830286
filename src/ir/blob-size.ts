import type { IrBlob } from './ir.js';

/** Size in bytes of a blob, as lowering laid it out. */
export function blobSize(blob: IrBlob): number {
  switch (blob.op) {
    case 'int':
      return blob.size;
    case 'zero': case 'string': case 'comm': case 'readStr': case 'ctxBytes': case 'record': case 'mapGetBlob': case 'varBlob':
    case 'slice': case 'select': case 'readBytes': case 'callFill': case 'pktBytes':
      return blob.size;
    case 'seqBlob':
      return blobSize(blob.value);
  }
}
