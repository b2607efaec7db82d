/**
 * The vocabulary matrices (embedding, lm_head) on the device as consecutive blocks of rows. On webgpu
 * every tensor is one storage buffer bound whole to a shader, so one that is larger than the adapter's
 * maxStorageBufferBindingSize (a 152k-vocabulary embedding of a 7B model is 2.0 GiB) cannot be used;
 * split by rows, each block fits, and the lookups and the lm_head product are taken block by block.
 * A matrix that fits is one block, and then everything is one tfjs op as before. A bf16 checkpoint's
 * matrix may be held as its bf16 words (bf16-weights.ts): half the bytes, exact, a looked-up row
 * widened alone and a block widened to float32 only for its product (blocks of at most
 * WIDENED_BLOCK_BYTES widened, 256 MiB, so that the float copy alive at a time stays small).
 */
import * as tf from '@tensorflow/tfjs-core';
import { WIDENED_BLOCK_BYTES } from '@retort/contracts';
import { constMatmulT, customGrad, mm, sumOverColumnBlocks } from './ops';
import { gatherBf16Rows, isBf16Exact, packBf16, unpackBf16, widenBf16 } from './bf16-weights';

/** A matrix [rows, cols] held as blocks of consecutive rows, in order. */
export interface RowBlocks {
  shape: [number, number];
  /** float32 [n, cols] each; with `bf16`, the bf16 words of n rows, int32 [n, cols / 2]. */
  blocks: tf.Tensor2D[];
  bf16?: boolean;
}

/** Rows per block so that one block takes at most `maxBytes` (at least one row); all rows without a limit. */
export function rowsPerBlock(shape: [number, number], maxBytes?: number): number {
  if (maxBytes === undefined) return shape[0];
  return Math.max(1, Math.min(shape[0], Math.floor(maxBytes / (4 * shape[1]))));
}

/**
 * Uploads a row-major matrix as blocks of at most `maxBytes` each (counted in float32). With `bf16`,
 * a matrix whose values are all bf16 (and whose rows are whole words) is held as bf16 words.
 */
export function uploadRowBlocks(data: Float32Array, shape: [number, number], maxBytes?: number, bf16 = false): RowBlocks {
  const [rows, cols] = shape;
  const asBf16 = bf16 && cols % 2 === 0 && isBf16Exact(data);
  const per = rowsPerBlock(shape, asBf16 ? Math.min(maxBytes ?? Infinity, WIDENED_BLOCK_BYTES) : maxBytes);
  const blocks: tf.Tensor2D[] = [];
  for (let r = 0; r < rows; r += per) {
    const n = Math.min(per, rows - r);
    const part = data.subarray(r * cols, (r + n) * cols);
    blocks.push(asBf16 ? tf.tensor2d(packBf16(part), [n, cols / 2], 'int32') : tf.tensor2d(part, [n, cols]));
  }
  return asBf16 ? { shape, blocks, bf16: true } : { shape, blocks };
}

/** Rows `local` of one block, float32 [local.length, cols]. */
function blockRows(m: RowBlocks, block: tf.Tensor2D, local: number[]): tf.Tensor2D {
  if (m.bf16) return gatherBf16Rows(block, local, m.shape[1]);
  return tf.gather(block, tf.tensor1d(local, 'int32')) as tf.Tensor2D;
}

/** One block as float32 [n, cols]: itself, or its bf16 words widened (a copy the caller frees). */
function dense(m: RowBlocks, block: tf.Tensor2D): tf.Tensor2D {
  if (!m.bf16) return block;
  return widenBf16({ shape: [block.shape[0], m.shape[1]], words: tf.reshape(block, [-1]) as tf.Tensor1D });
}

/** The rows for token ids: [ids.length, cols]. */
export function gatherRowBlocks(m: RowBlocks, ids: number[]): tf.Tensor2D {
  return tf.tidy(() => {
    if (m.blocks.length === 1) return blockRows(m, m.blocks[0], ids);
    // Each block gives the rows of the ids it holds; `from[i]` is where id i's row lands in their concatenation.
    const from = new Int32Array(ids.length).fill(-1);
    const parts: tf.Tensor2D[] = [];
    let first = 0;
    let gathered = 0;
    for (const block of m.blocks) {
      const end = first + block.shape[0];
      const local: number[] = [];
      ids.forEach((id, i) => {
        if (id >= first && id < end) {
          from[i] = gathered + local.length;
          local.push(id - first);
        }
      });
      if (local.length) parts.push(blockRows(m, block, local));
      gathered += local.length;
      first = end;
    }
    const missing = from.indexOf(-1);
    if (missing >= 0) throw new Error(`token id ${ids[missing]} is not a row of the [${m.shape.join(', ')}] embedding`);
    return tf.gather(tf.concat(parts, 0), tf.tensor1d(from, 'int32')) as tf.Tensor2D;
  });
}

/** x [N, cols] times the matrix transposed: [N, rows] (the lm_head; no gradient for the matrix). */
export function rowBlocksMatmulT(x: tf.Tensor2D, m: RowBlocks): tf.Tensor2D {
  if (m.blocks.length === 1 && !m.bf16) return constMatmulT(x, m.blocks[0]);
  const f = customGrad((xi: tf.Tensor) => ({
    value: tf.concat(
      m.blocks.map((b) => tf.tidy(() => mm(xi as tf.Tensor2D, dense(m, b), false, true))),
      1,
    ),
    // Summed a block at a time, each block's float copy (bf16) freed before the next is made.
    gradFunc: (dy: tf.Tensor) =>
      sumOverColumnBlocks(
        dy as tf.Tensor2D,
        m.blocks.map((b) => b.shape[0]),
        (block, j) => tf.matMul(block, dense(m, m.blocks[j])),
      ),
  }));
  return f(x) as tf.Tensor2D;
}

/** The whole matrix on the host, row-major, read from the device asynchronously. */
export async function downloadRowBlocks(m: RowBlocks): Promise<Float32Array> {
  const cols = m.shape[1];
  const host = async (b: tf.Tensor2D) => (m.bf16 ? unpackBf16((await b.data()) as Int32Array, b.shape[0] * cols) : ((await b.data()) as Float32Array));
  if (m.blocks.length === 1) return host(m.blocks[0]);
  const out = new Float32Array(m.shape[0] * cols);
  let offset = 0;
  for (const b of m.blocks) {
    out.set(await host(b), offset);
    offset += b.shape[0] * cols;
  }
  return out;
}

export function isRowBlocks(m: object): m is RowBlocks {
  return 'blocks' in m;
}
