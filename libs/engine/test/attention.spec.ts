import * as tf from '@tensorflow/tfjs-core';
import { countDispatches } from '../src';
import { causalMask } from '../src/model';
import { attention } from '../src/ops';
import { describeBackends } from './backends';
import { maxRelDiff } from './helpers';

describeBackends('causal attention kernels', (backend) => {
  // [groups, heads per group, new positions, cached ones, head dim]: a training step with GQA, a
  // decoding step after a cache (one new position), a prefill after one, and keys past 1,024 (256 threads per row)
  (backend === 'webgpu' ? it.each : it.skip.each)([[2, 3, 9, 0, 8], [3, 2, 1, 70, 16], [1, 4, 5, 11, 4], [1, 1, 1100, 0, 4]])(
    'give the masked tfjs ops\' output and gradients for G=%i g=%i T=%i past=%i d=%i',
    async (G, g, T, past, d) => {
      const S = past + T;
      const q = tf.randomNormal([G, g * T, d], 0, 2, 'float32', 1) as tf.Tensor3D;
      const k = tf.randomNormal([G, S, d], 0, 2, 'float32', 2) as tf.Tensor3D;
      const v = tf.randomNormal([G, S, d], 0, 1, 'float32', 3) as tf.Tensor3D;
      const dy = tf.randomNormal([G, g * T, d], 0, 1, 'float32', 4) as tf.Tensor3D;
      const mask = causalMask(T, past, g);
      const run = (m: tf.Tensor2D | { causalQueryLen: number }) =>
        countDispatches(() =>
          tf.tidy(() => {
            const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => attention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, m, 1 / Math.sqrt(d));
            return [f(q, k, v), ...tf.grads(f)([q, k, v], dy)];
          }),
        );
      const ops = await run(mask);
      const fused = await run({ causalQueryLen: T });
      for (let i = 0; i < 4; i++) expect(maxRelDiff(await ops.result[i].data(), await fused.result[i].data())).toBeLessThan(1e-5);
      expect(maxRelDiff(await fused.result[1].data(), new Float32Array(G * g * T * d))).toBe(1); // a gradient, not zeros
      // The forward's scale, mask and softmax become one kernel (run twice: tf.grads runs the forward
      // again), the backward's five elementwise ops and sum one.
      expect(ops.dispatches! - fused.dispatches!).toBe(2 * 2 + 4);
      tf.dispose([q, k, v, dy, mask, ...ops.result, ...fused.result]);
    },
  );
});
