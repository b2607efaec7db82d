import * as tf from '@tensorflow/tfjs-core';
import { attentionInParts } from '../src/attention-parts';
import { causalMask } from '../src/model';
import { AttentionMask } from '../src/ops';
import { describeBackends } from './backends';
import { maxRelDiff } from './helpers';

describeBackends('attention a part of its scores at a time', (backend) => {
  // 2 key/value groups of 3 query heads, 6 new positions after 2 cached ones, head dim 8: scores [2, 18, 8]
  const [G, g, T, past, d] = [2, 3, 6, 2, 8];
  const S = past + T;
  const row = 4 * S; // one query's scores
  it.each([
    ['whole groups', 18 * row, 2],
    ['two query heads of a group', 2 * T * row, 4],
    ['blocks of four queries of a head, each with the keys it sees', 4 * row, 2 * 3 * 2],
    ['one query at a time', row, 2 * 3 * T],
  ])('give the whole attention and its gradients: %s', async (_, maxBytes, parts) => {
    const q = tf.randomNormal([G, g * T, d], 0, 2, 'float32', 1) as tf.Tensor3D;
    const k = tf.randomNormal([G, S, d], 0, 2, 'float32', 2) as tf.Tensor3D;
    const v = tf.randomNormal([G, S, d], 0, 1, 'float32', 3) as tf.Tensor3D;
    const dy = tf.randomNormal([G, g * T, d], 0, 1, 'float32', 4) as tf.Tensor3D;
    const masks: AttentionMask[] = [causalMask(T, past, g), ...(backend === 'webgpu' ? [{ causalQueryLen: T }] : [])];
    for (const mask of masks) {
      const run = (limit?: number) =>
        tf.tidy(() => {
          const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => attentionInParts(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, mask, 1 / Math.sqrt(d), T, limit);
          return [f(q, k, v), ...tf.grads(f)([q, k, v], dy)];
        });
      const whole = run();
      const before = tf.memory().numTensors;
      const split = run(maxBytes);
      expect(tf.memory().numTensors - before).toBe(4); // nothing left behind
      for (let i = 0; i < 4; i++) expect(maxRelDiff(await whole[i].data(), await split[i].data())).toBeLessThan(1e-6);
      expect(maxRelDiff(await split[2].data(), new Float32Array(G * S * d))).toBe(1); // a key gradient, not zeros
      tf.dispose([...whole, ...split]);
    }
    // one softmax per part (each part here is one group), none larger than the limit
    const profile = await tf.profile(() => attentionInParts(q, k, v, masks[0], 1, T, maxBytes));
    const softmaxes = profile.kernels.filter((kernel) => kernel.name === 'Softmax');
    expect(softmaxes).toHaveLength(parts);
    expect(Math.max(...softmaxes.map((kernel) => 4 * kernel.outputShapes[0]!.reduce((a, b) => a * b, 1)))).toBeLessThanOrEqual(maxBytes);
    tf.dispose(profile.result as tf.Tensor);
    tf.dispose([q, k, v, dy, ...masks.filter((m): m is tf.Tensor2D => m instanceof tf.Tensor)]);
  });
});
