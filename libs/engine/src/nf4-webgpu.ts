/**
 * NF4 dequantization on the webgpu backend, as two WGSL kernels that unpack the int32 words with
 * u32 shifts and masks. tfjs-webgpu computes int32 arithmetic (mod, floorDiv, sub) in float32, which
 * is inexact above 2^24, so the arithmetic unpacking of nf4.ts is not exact there.
 *
 * The multiply by the block scale and the add of the offset stay in separate kernels (as on the
 * host, each product rounded to float32): in one kernel a shader compiler may fuse them into an FMA
 * and round once, which would differ from the host and from bitsandbytes in the last bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NF4_BLOCKSIZE, NF4_NESTED_BLOCKSIZE, Nf4Weight } from './nf4';
import { runFlatProgram } from './webgpu-kernels';

/** dynamic[qabsmax byte b] * absmax2[b / 256] for the nb blocks of 64. */
function blockScales(w: Nf4Weight, dynamic: tf.Tensor1D, nb: number): tf.Tensor1D {
  return runFlatProgram<tf.Tensor1D>('retort_nf4_block_scales', ['qabsmax', 'dynamicMap', 'absmax2'], [nb], [w.qabsmax, dynamic, w.absmax2], `
          let word = bitcast<u32>(qabsmax[index / 4]);
          let q = (word >> (8u * u32(index % 4))) & 255u;
          setOutputAtIndex(index, dynamicMap[q] * absmax2[index / ${NF4_NESTED_BLOCKSIZE}]);`);
}

/** W [out, in] float32: NF4[code i] * absmax[i / 64], codes in bitsandbytes' byte order (high nibble first). */
export function dequantizeNf4WebGpu(w: Nf4Weight, tables: { nf4: tf.Tensor1D; dynamic: tf.Tensor1D }): tf.Tensor2D {
  const n = w.shape[0] * w.shape[1];
  const nb = Math.ceil(n / NF4_BLOCKSIZE);
  return tf.tidy(() => {
    const absmax = tf.add(blockScales(w, tables.dynamic, nb), w.offset);
    return runFlatProgram<tf.Tensor2D>('retort_nf4_dequantize', ['codes', 'nf4', 'absmax'], w.shape, [w.codes, tables.nf4, absmax], `
          let word = bitcast<u32>(codes[index / 8]);
          let k = u32(index % 8);
          let byte = (word >> (8u * (k / 2u))) & 255u;
          let code = select(byte >> 4u, byte & 15u, (k & 1u) == 1u);
          setOutputAtIndex(index, nf4[code] * absmax[index / ${NF4_BLOCKSIZE}]);`);
  });
}
