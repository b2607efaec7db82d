import * as tf from '@tensorflow/tfjs-core';
import { countDispatches } from '../src';
import { ropeWebGpu } from '../src/rope-webgpu';
import { describeBackends } from './backends';
import { maxRelDiff } from './helpers';

/** x cos + rotate_half(x) sin by tfjs ops, differentiated by tfjs (the HF formula; rotate_half as a product with its matrix, built from indices here). */
function plainRope(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor4D {
  const d = x.shape[3];
  const h = d / 2;
  // rotate_half(x)_j = -x_{j+h} for j < h, x_{j-h} from h: column j of R has one entry
  const R = tf.tensor2d(Array.from({ length: d * d }, (_, i) => {
    const [k, j] = [Math.floor(i / d), i % d];
    return j < h ? (k === j + h ? -1 : 0) : k === j - h ? 1 : 0;
  }), [d, d]);
  const rotated = tf.reshape(tf.matMul(tf.reshape(x, [-1, d]), R), x.shape);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

describeBackends('RoPE kernels', (backend) => {
  (backend === 'webgpu' ? it : it.skip)('give the formula and its gradient, in one dispatch each way', async () => {
    const [B, T, n, d] = [2, 5, 3, 8];
    const x = tf.randomNormal([B, T, n, d], 0, 1, 'float32', 11) as tf.Tensor4D;
    const dy = tf.randomNormal([B, T, n, d], 0, 1, 'float32', 12) as tf.Tensor4D;
    // per-position tables that differ in every entry, so a wrong position or feature index shows
    const cos = tf.randomNormal([T, 1, d], 0, 1, 'float32', 13) as tf.Tensor3D;
    const sin = tf.randomNormal([T, 1, d], 0, 1, 'float32', 14) as tf.Tensor3D;
    const run = (rope: typeof ropeWebGpu) => countDispatches(() => tf.tidy(() => [rope(x, cos, sin), tf.grad((xi: tf.Tensor) => rope(xi as tf.Tensor4D, cos, sin))(x, dy)]));
    const plain = await run(plainRope);
    const fused = await run(ropeWebGpu);
    for (let i = 0; i < 2; i++) expect(maxRelDiff(await plain.result[i].data(), await fused.result[i].data())).toBeLessThan(1e-6);
    expect(fused.dispatches).toBe(3); // forward, and inside tf.grad forward again and backward
    tf.dispose([x, dy, cos, sin, ...plain.result, ...fused.result]);
  });
});
