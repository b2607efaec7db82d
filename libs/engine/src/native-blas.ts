import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The addon built from `libs/engine/native` (`npm run build:native`) against the system's OpenBLAS. */
interface RetortBlas {
  /** Loads OpenBLAS (dlopen), with OPENBLAS_CORETYPE set to `coreType` unless the environment has one. */
  open(coreType: string | null): void;
  matmul(heap: ArrayBuffer, aOff: number, bOff: number, cOff: number, batch: number, m: number, n: number, k: number, transA: number, transB: number, aStride: number, bStride: number): void;
  /** y = x W^T (transW) or x W for an NF4 weight W [rows, cols]: native/nf4_matmul.h. */
  nf4Matmul(x: Float32Array, y: Float32Array, m: number, codes: Int32Array, qabsmax: Int32Array, absmax2: Float32Array, rows: number, cols: number, transW: number, offset: number, nf4: Float32Array, dynamic: Float32Array): void;
  /** The first level of NF4 quantization: codes packed as nf4.ts packs them, absmax per 64 (native/nf4_quantize.c). */
  nf4Quantize(x: Float32Array, codes: Int32Array, absmax: Float32Array, nf4: Float32Array, zeroCode: number): void;
  /** y = x W^T (transW) or x W for a float32 W [rows, cols]. */
  denseMatmul(x: Float32Array, y: Float32Array, m: number, w: Float32Array, rows: number, cols: number, transW: number): void;
  setThreads(threads: number): void;
  threads(): number;
  core(): string;
}

export interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  getMemoryOffset(dataId: tf.DataId): number;
}

let installed: RetortBlas | undefined;

/** The addon whose matmul the wasm backend uses, once installNativeMatMul has run. */
export function installedNativeBlas(): RetortBlas | undefined {
  return installed;
}

export const NATIVE_BLAS_ADDON = path.resolve(__dirname, '../native/build/Release/retort_blas.node');

/**
 * The OpenBLAS kernel set for this CPU's vector extensions. OpenBLAS identifies CPUs by model number,
 * and virtual machines that report a generic model ("Intel Xeon Processor") get its SSE3 fallback,
 * 4x slower here; the flags in /proc/cpuinfo tell the truth.
 */
export function openBlasCoreType(cpuinfo: string): string | undefined {
  const flags = new Set((/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '').trim().split(/\s+/));
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd'].every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return undefined;
}

/** The kernel set the engine has OpenBLAS use: OPENBLAS_CORETYPE when set, else the one for this CPU's flags. */
export function chosenOpenBlasCoreType(): string | undefined {
  return process.env.OPENBLAS_CORETYPE || (fs.existsSync('/proc/cpuinfo') ? openBlasCoreType(fs.readFileSync('/proc/cpuinfo', 'utf8')) : undefined);
}

/** The addon with OpenBLAS loaded, or why it is not used. OPENBLAS_CORETYPE, when set, is left as it is. */
export function loadNativeBlas(file = NATIVE_BLAS_ADDON): { blas?: RetortBlas; why?: string } {
  if (process.env.RETORT_NATIVE_BLAS === '0') return { why: 'RETORT_NATIVE_BLAS=0' };
  if (!fs.existsSync(file)) return { why: 'not built (npm run build:native; needs libopenblas-dev)' };
  const core = chosenOpenBlasCoreType();
  try {
    const blas = require(file) as RetortBlas;
    blas.open(core ?? null);
    // Child processes (the bench's PyTorch reference) get the same kernel set.
    if (core) process.env.OPENBLAS_CORETYPE = core;
    return { blas };
  } catch (err) {
    return { why: `could not load ${file}: ${(err as Error).message}` };
  }
}

/**
 * Replaces the wasm backend's BatchMatMul kernel with OpenBLAS's sgemm working in place on the wasm
 * heap. XNNPACK in wasm SIMD reaches about 40% of OpenBLAS on a CPU core for these shapes, and tfjs
 * falls back to a naive loop for transposed or batched products; both go through sgemm here.
 * Products whose batch dimensions broadcast other than 1-against-n keep the original kernel.
 */
export function installNativeMatMul(blas: RetortBlas, threads?: number): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (!original) throw new Error('the wasm backend is not registered');
  if ((original.kernelFunc as { retortNative?: boolean }).retortNative) return;
  if (threads) blas.setThreads(threads);
  installed = blas;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as unknown as WasmBackendInternals;
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = outerA.reduce((x, y) => x * y, 1);
    const batchB = outerB.reduce((x, y) => x * y, 1);
    const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !(sameOuter || batchA === 1 || batchB === 1)) return original.kernelFunc(args);
    const [ra, ca] = a.shape.slice(-2);
    const [rb, cb] = b.shape.slice(-2);
    const m = transposeA ? ca : ra;
    const k = transposeA ? ra : ca;
    const n = transposeB ? rb : cb;
    if ((transposeB ? cb : rb) !== k) throw new Error(`Error in matMul: inner shapes (${k}) and (${transposeB ? cb : rb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
    const batch = Math.max(batchA, batchB);
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
    const out = backend.makeOutput([...outer, m, n], 'float32');
    // Offsets after makeOutput: the allocation may have grown (and replaced) the heap.
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    const aOff = backend.getMemoryOffset(a.dataId) / 4;
    const bOff = backend.getMemoryOffset(b.dataId) / 4;
    const cOff = backend.getMemoryOffset(out.dataId) / 4;
    if (batch * m * n === 0) return out;
    // An empty inner dimension: a sum of nothing (malloc'd memory is not zeroed).
    if (k === 0) new Float32Array(heap, cOff * 4, batch * m * n).fill(0);
    else blas.matmul(heap, aOff, bOff, cOff, batch, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n);
    return out;
  };
  (kernelFunc as { retortNative?: boolean }).retortNative = true;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc, setupFunc: original.setupFunc });
}
