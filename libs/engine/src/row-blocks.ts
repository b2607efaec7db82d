/**
 * The vocabulary matrices (embedding, lm_head) on the device as consecutive blocks of rows. On webgpu
 * every tensor is one storage buffer bound whole to a shader, so one that is larger than the adapter's
 * maxStorageBufferBindingSize (a 152k-vocabulary embedding of a 7B model is 2.0 GiB) cannot be used;
 * split by rows, each block fits, and the lookups and the lm_head product are taken block by block.
 * A matrix that fits is one block, and then everything is one tfjs op as before.
 */
import * as tf from '@tensorflow/tfjs-core';
import { addOneByOne, constMatmulT, customGrad, mm } from './ops';

/** A float32 matrix [rows, cols] held as blocks of consecutive rows, in order. */
export interface RowBlocks {
  shape: [number, number];
  blocks: tf.Tensor2D[];
}

/** Rows per block so that one block takes at most `maxBytes` (at least one row); all rows without a limit. */
export function rowsPerBlock(shape: [number, number], maxBytes?: number): number {
  if (maxBytes === undefined) return shape[0];
  return Math.max(1, Math.min(shape[0], Math.floor(maxBytes / (4 * shape[1]))));
}

/** Uploads a row-major matrix as blocks of at most `maxBytes` each. */
export function uploadRowBlocks(data: Float32Array, shape: [number, number], maxBytes?: number): RowBlocks {
  const [rows, cols] = shape;
  const per = rowsPerBlock(shape, maxBytes);
  const blocks: tf.Tensor2D[] = [];
  for (let r = 0; r < rows; r += per) {
    const n = Math.min(per, rows - r);
    blocks.push(tf.tensor2d(data.subarray(r * cols, (r + n) * cols), [n, cols]));
  }
  return { shape, blocks };
}

/** The rows for token ids: [ids.length, cols]. */
export function gatherRowBlocks(m: RowBlocks, ids: number[]): tf.Tensor2D {
  if (m.blocks.length === 1) return tf.gather(m.blocks[0], tf.tensor1d(ids, 'int32')) as tf.Tensor2D;
  return tf.tidy(() => {
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
      if (local.length) parts.push(tf.gather(block, tf.tensor1d(local, 'int32')) as tf.Tensor2D);
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
  if (m.blocks.length === 1) return constMatmulT(x, m.blocks[0]);
  const f = customGrad((xi: tf.Tensor) => ({
    value: tf.concat(
      m.blocks.map((b) => mm(xi as tf.Tensor2D, b, false, true)),
      1,
    ),
    gradFunc: (dy: tf.Tensor) =>
      tf.tidy(() => {
        let first = 0;
        return addOneByOne(
          m.blocks.map((b) => {
            const g = tf.matMul(tf.slice(dy as tf.Tensor2D, [0, first], [-1, b.shape[0]]), b);
            first += b.shape[0];
            return g;
          }),
        );
      }),
  }));
  return f(x) as tf.Tensor2D;
}

/** The whole matrix on the host, row-major, read from the device asynchronously. */
export async function downloadRowBlocks(m: RowBlocks): Promise<Float32Array> {
  if (m.blocks.length === 1) return (await m.blocks[0].data()) as Float32Array;
  const out = new Float32Array(m.shape[0] * m.shape[1]);
  let offset = 0;
  for (const b of m.blocks) {
    out.set((await b.data()) as Float32Array, offset);
    offset += b.size;
  }
  return out;
}

export function isRowBlocks(m: object): m is RowBlocks {
  return 'blocks' in m;
}
