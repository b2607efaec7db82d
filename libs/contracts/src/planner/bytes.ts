/** Bytes per stored value: float32, bfloat16, and NF4 with double quantization (QLoRA). */

export const F32_BYTES = 4;
export const BF16_BYTES = 2;

/**
 * The most bytes one block of a bf16 embedding or lm_head takes once widened to float32 for its
 * product on webgpu (the engine's row-blocks.ts): the float copy alive at a time stays this small.
 */
export const WIDENED_BLOCK_BYTES = 256 * 2 ** 20;

/** Elements per NF4 block (one absmax each). */
export const NF4_BLOCKSIZE = 64;
/** Block absmax per second-level block (one float32 absmax each) in double quantization. */
export const NF4_NESTED_BLOCKSIZE = 256;

/**
 * Bytes of one NF4 weight of n elements as the engine holds it in tfjs (no 8-bit tensors): codes 8
 * to an int32 word, 8-bit block absmax codes 4 to a word, one float32 per nested block, one offset.
 */
export function nf4WeightBytes(n: number): number {
  const blocks = Math.ceil(n / NF4_BLOCKSIZE);
  return F32_BYTES * (Math.ceil(n / 8) + Math.ceil(blocks / 4) + Math.ceil(blocks / NF4_NESTED_BLOCKSIZE)) + F32_BYTES;
}

/** bitsandbytes NF4 with double quantization, per parameter: a 4-bit code, an 8-bit absmax per block, a float32 per nested block. */
export const BNB_NF4_BYTES_PER_PARAM = 0.5 + 1 / NF4_BLOCKSIZE + F32_BYTES / (NF4_BLOCKSIZE * NF4_NESTED_BLOCKSIZE);
