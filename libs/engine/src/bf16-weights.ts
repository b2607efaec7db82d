/**
 * Frozen projections held as bfloat16 on the webgpu device: half the memory of float32, and exact
 * for a bf16 checkpoint (every DeepSeek-R1 distill and Qwen2 release is one): its float32 copy is
 * the bf16 values with sixteen zero bits below them, so keeping the top half loses nothing. Two
 * values share an int32 word (value 2i in the low half), and a WGSL kernel widens them back to float32
 * where the layer runs, forward and backward, the float copy freed after each product (as QLoRA's
 * NF4 is). tfjs has no 16-bit dtype, and its int32 arithmetic on webgpu is float32 (inexact above
 * 2^24), so the words are unpacked with WGSL's own u32 shifts. It is the default on webgpu only; on
 * wasm and cpu (tests) the words are widened through host memory.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runFlatProgram } from './webgpu-kernels';

/** W [out, in] as bfloat16 bits, two per int32 word. */
export interface Bf16Weight {
  shape: [number, number];
  words: tf.Tensor1D; // int32 [ceil(out * in / 2)]
}

/** Whether every value is a bfloat16 (its low 16 bits are zero), so that bf16 storage is exact. */
export function isBf16Exact(data: Float32Array): boolean {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) if (bits[i] & 0xffff) return false;
  return true;
}

/** The bf16 words of bf16-exact float32 values (see isBf16Exact). */
export function packBf16(data: Float32Array): Int32Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const words = new Int32Array(Math.ceil(bits.length / 2));
  for (let i = 0; i < words.length; i++) words[i] = (bits[2 * i] >>> 16) | ((bits[2 * i + 1] ?? 0) & 0xffff0000);
  return words;
}

export function unpackBf16(words: Int32Array, n: number): Float32Array {
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) bits[i] = i & 1 ? words[i >> 1] & 0xffff0000 : words[i >> 1] << 16;
  return new Float32Array(bits.buffer);
}

export function uploadBf16(data: Float32Array, shape: [number, number]): Bf16Weight {
  return { shape, words: tf.tensor1d(packBf16(data), 'int32') };
}

export function bf16Bytes(w: Bf16Weight): number {
  return 4 * w.words.size;
}

/** W [out, in] float32 on the device: a WGSL kernel on webgpu; through host memory where that is the device's (wasm, cpu). */
export function widenBf16(w: Bf16Weight): tf.Tensor2D {
  const n = w.shape[0] * w.shape[1];
  if (tf.getBackend() !== 'webgpu') return tf.tensor2d(unpackBf16(w.words.dataSync() as Int32Array, n), w.shape);
  return runFlatProgram<tf.Tensor2D>('retort_bf16_widen', ['words'], w.shape, [w.words], `
          let word = bitcast<u32>(words[index / 2]);
          let bits = select(word << 16u, word & 0xffff0000u, (index % 2) == 1);
          setOutputAtIndex(index, bitcast<f32>(bits));`);
}

/** W [out, in] on the host, read from the device asynchronously. */
export async function downloadBf16(w: Bf16Weight): Promise<Float32Array> {
  return unpackBf16((await w.words.data()) as Int32Array, w.shape[0] * w.shape[1]);
}

/**
 * Rows `ids` of a bf16 matrix [rows, cols] held as words [rows, cols / 2] (cols even), widened to
 * float32 [ids.length, cols]: one WGSL kernel on webgpu (tfjs' gather would pass the words through
 * float32 and round them), a gather of the words and a host unpack elsewhere.
 */
export function gatherBf16Rows(words: tf.Tensor2D, ids: number[], cols: number): tf.Tensor2D {
  const n = ids.length * cols;
  if (tf.getBackend() !== 'webgpu') {
    return tf.tidy(() => {
      const rows = tf.gather(words, tf.tensor1d(ids, 'int32'));
      return tf.tensor2d(unpackBf16(rows.dataSync() as Int32Array, n), [ids.length, cols]);
    });
  }
  return tf.tidy(() => {
    return runFlatProgram<tf.Tensor2D>(`retort_bf16_gather_${cols}`, ['words', 'ids'], [ids.length, cols], [words, tf.tensor1d(ids, 'int32')], `
          let col = index % ${cols};
          let word = bitcast<u32>(words[ids[index / ${cols}] * ${cols / 2} + col / 2]);
          let bits = select(word << 16u, word & 0xffff0000u, (col % 2) == 1);
          setOutputAtIndex(index, bitcast<f32>(bits));`);
  });
}
