/**
 * Frozen weights held in host memory, outside the wasm heap. On the wasm backend with the native
 * addon, a model's frozen matrices (the projections, float32 or NF4, the embedding and the lm_head)
 * stay in ordinary host arrays and OpenBLAS multiplies them where they lie
 * (libs/engine/native): the 4 GiB that 32-bit WebAssembly can address then holds only the
 * activations, LoRA and the optimizer, so a 7B QLoRA base (7.2 GiB) trains there. NF4 is dequantized
 * a panel of rows at a time into a native buffer that is multiplied at once, so neither a float copy
 * of the weight nor a JavaScript pass over it exists; the panels equal `dequantizeNf4Host` bit for
 * bit, and the products differ from one whole-matrix sgemm only in the order of their sums.
 */
import * as tf from '@tensorflow/tfjs-core';
import { installedNativeBlas, WasmBackendInternals } from './native-blas';
import { dequantizeNf4Host, dynamicMap, NF4_VALUES, Nf4Host, Nf4Weight } from './nf4';

/** A float32 matrix in host memory, row-major. */
export interface HostMatrix {
  shape: [number, number];
  data: Float32Array;
}

/** A frozen weight W [rows, cols] in host memory: float32, or NF4 with double quantization. */
export type HostWeight = { dense: HostMatrix; nf4?: undefined } | { nf4: Nf4Host; dense?: undefined };

export function hostWeightShape(w: HostWeight): [number, number] {
  return w.dense ? w.dense.shape : w.nf4!.shape;
}

export function hostWeightBytes(w: HostWeight): number {
  return w.dense ? 4 * w.dense.data.length : 4 * (w.nf4!.codes.length + w.nf4!.qabsmax.length + w.nf4!.absmax2.length) + 4;
}

/** Rows of a host matrix (the embedding) for token ids, as a tensor [ids.length, cols]. */
export function hostRows(m: HostMatrix, ids: number[]): tf.Tensor2D {
  const cols = m.shape[1];
  const out = new Float32Array(ids.length * cols);
  ids.forEach((id, i) => {
    if (!(id >= 0 && id < m.shape[0])) throw new Error(`token id ${id} is outside the embedding's ${m.shape[0]} rows`);
    out.set(m.data.subarray(id * cols, (id + 1) * cols), i * cols);
  });
  return tf.tensor2d(out, [ids.length, cols]);
}

function float32View(heap: ArrayBuffer, backend: WasmBackendInternals, t: tf.TensorInfo, n: number): Float32Array {
  return new Float32Array(heap, backend.getMemoryOffset(t.dataId), n);
}

/**
 * transposeW: x [m, cols] W^T -> [m, rows] (the forward product); otherwise x [m, rows] W -> [m, cols]
 * (the input gradient). `w` is a host weight, or NF4 tensors on the wasm heap. Undefined for NF4
 * tensors off wasm (the caller dequantizes); a host weight off wasm or without the addon is
 * uploaded for the product.
 */
export function frozenProduct(x: tf.Tensor2D, w: HostWeight | { heapNf4: Nf4Weight }, transposeW: boolean): tf.Tensor2D | undefined {
  const shape = 'heapNf4' in w ? w.heapNf4.shape : hostWeightShape(w);
  const [rows, cols] = shape;
  const [m, k] = x.shape;
  if (k !== (transposeW ? cols : rows)) throw new Error(`frozen product: x [${x.shape}] against W [${shape}]${transposeW ? '^T' : ''}`);
  const blas = installedNativeBlas();
  if (!blas || tf.getBackend() !== 'wasm' || x.dtype !== 'float32') {
    if ('heapNf4' in w) return undefined;
    return tf.tidy(() => tf.matMul(x, tf.tensor2d(w.dense ? w.dense.data : dequantizeNf4Host(w.nf4!), shape), false, transposeW) as tf.Tensor2D);
  }
  const backend = tf.backend() as unknown as WasmBackendInternals;
  const out = backend.makeOutput([m, transposeW ? rows : cols], 'float32');
  // Views after makeOutput: the allocation may have grown (and replaced) the heap.
  const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
  const xs = float32View(heap, backend, x, x.size);
  const ys = float32View(heap, backend, out, m * (transposeW ? rows : cols));
  if ('heapNf4' in w) {
    const q = w.heapNf4;
    const words = (t: tf.Tensor) => new Int32Array(heap, backend.getMemoryOffset(t.dataId), t.size);
    blas.nf4Matmul(xs, ys, m, words(q.codes), words(q.qabsmax), float32View(heap, backend, q.absmax2, q.absmax2.size), rows, cols, transposeW ? 1 : 0, q.offset, NF4_VALUES, dynamicMap());
  } else if (w.nf4) {
    const q = w.nf4;
    blas.nf4Matmul(xs, ys, m, q.codes, q.qabsmax, q.absmax2, rows, cols, transposeW ? 1 : 0, q.offset, NF4_VALUES, dynamicMap());
  } else {
    blas.denseMatmul(xs, ys, m, w.dense!.data, rows, cols, transposeW ? 1 : 0);
  }
  return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor2D;
}
