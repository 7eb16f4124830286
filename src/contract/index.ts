/**
 * The contract between the compiler (src/) and the runtime (runtime/): the compiled-script format,
 * the compile worker's protocol, kernel uapi ids, histogram bucket formulas, byte strings,
 * printf format syntax and the environment variables that change code. Nothing here imports
 * the rest of src/ (test/unit/output/imports.test.ts checks it).
 */
export * from './bytes.js';
export * from './diagnostic.js';
export * from './dump-stages.js';
export * from './env.js';
export * from './events.js';
export * from './histogram.js';
export * from './printf-syntax.js';
export * from './probe.js';
export * from './script.js';
export * from './types.js';
export * from './uapi.js';
export * from './worker.js';
