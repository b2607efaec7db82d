/**
 * The QLoRA frozen products on the wasm backend with the native addon: the NF4 codes are read where
 * they lie in the wasm heap and dequantized a panel of rows at a time into a native buffer that
 * OpenBLAS multiplies at once (libs/engine/native/nf4_matmul.c), so neither the float copy of the
 * weight nor a JavaScript pass over it exists. The panels equal `dequantizeNf4Host` bit for bit; the
 * products differ from one whole-matrix sgemm only in the order of their sums.
 */
import * as tf from '@tensorflow/tfjs-core';
import { installedNativeBlas, WasmBackendInternals } from './native-blas';
import { dynamicMap, NF4_VALUES, Nf4Weight } from './nf4';

/**
 * transposeW: x [m, in] W^T -> [m, out] (the forward product); otherwise x [m, out] W -> [m, in]
 * (the input gradient). Undefined when the backend is not wasm with the native addon.
 */
export function nf4MatmulNative(x: tf.Tensor2D, w: Nf4Weight, transposeW: boolean): tf.Tensor2D | undefined {
  const blas = installedNativeBlas();
  if (!blas || tf.getBackend() !== 'wasm' || x.dtype !== 'float32') return undefined;
  const [rows, cols] = w.shape;
  const [m, k] = x.shape;
  if (k !== (transposeW ? cols : rows)) throw new Error(`nf4 matmul: x [${x.shape}] against W [${w.shape}]${transposeW ? '^T' : ''}`);
  const backend = tf.backend() as unknown as WasmBackendInternals;
  const out = backend.makeOutput([m, transposeW ? rows : cols], 'float32');
  // Offsets after makeOutput: the allocation may have grown (and replaced) the heap.
  const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
  const at = (t: tf.Tensor | tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
  blas.nf4Matmul(heap, at(x), at(w.codes), at(w.qabsmax), at(w.absmax2), at(out), m, rows, cols, transposeW ? 1 : 0, w.offset, NF4_VALUES, dynamicMap());
  return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor2D;
}
