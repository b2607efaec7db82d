import * as tf from '@tensorflow/tfjs-core';
import { attention, loraMatmul, setWasmLayout } from '../src/ops';
import { weightedCrossEntropy } from '../src/cross-entropy';
import { describeBackends } from './backends';

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const m = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const [v] = await m.data();
  m.dispose();
  return v;
}

async function scalar(x: tf.Tensor): Promise<number> {
  return (await x.data())[0];
}

// The hand-written gradients must match tfjs autodiff of the plain formulas, in both layouts (webgpu
// runs only the other one: the wasm layout splits head groups through a host copy).
describeBackends('custom gradients', (backend) => {
  describe.each(backend === 'webgpu' ? [false] : [true, false])('wasm layout: %s', (wasm) => {
    beforeAll(() => setWasmLayout(wasm));

    it('attention', async () => {
      const [G, M, T, d] = [3, 8, 4, 5];
      const q = tf.randomNormal([G, M, d], 0, 1, 'float32', 1) as tf.Tensor3D;
      const k = tf.randomNormal([G, T, d], 0, 1, 'float32', 2) as tf.Tensor3D;
      const v = tf.randomNormal([G, T, d], 0, 1, 'float32', 3) as tf.Tensor3D;
      const mask = tf.tensor2d(Array.from({ length: M * T }, (_, i) => ((i % T) > (Math.floor(i / T) % T) ? -1e9 : 0)), [M, T]);
      const w = tf.randomNormal([G, M, d], 0, 1, 'float32', 4);
      const plain = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true), 0.3), mask)), c as tf.Tensor3D), w));
      const mine = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, mask, 0.3), w));
      expect(Math.abs((await scalar(mine(q, k, v))) - (await scalar(plain(q, k, v))))).toBeLessThan(1e-4);
      const g1 = tf.grads(mine)([q, k, v]);
      const g2 = tf.grads(plain)([q, k, v]);
      for (const [i, g] of g1.entries()) expect(await maxDiff(g, g2[i])).toBeLessThan(1e-4);
    });

    it('LoRA linear and cross-entropy', async () => {
      const x = tf.randomNormal([6, 5], 0, 1, 'float32', 5) as tf.Tensor2D;
      const wt = tf.randomNormal([5, 7], 0, 1, 'float32', 6) as tf.Tensor2D;
      const at = tf.randomNormal([5, 2], 0, 1, 'float32', 7) as tf.Tensor2D;
      const bt = tf.randomNormal([2, 7], 0, 1, 'float32', 8) as tf.Tensor2D;
      const targets = tf.tensor1d([1, 2, 3, 4, 5, 6], 'int32');
      const weights = tf.tensor1d([1, 0, 1, 1, 0.5, 1]);
      const plain = (xi: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
        const logits = tf.add(tf.matMul(xi as tf.Tensor2D, wt), tf.mul(tf.matMul(tf.matMul(xi as tf.Tensor2D, a as tf.Tensor2D), b as tf.Tensor2D), 1.5));
        return tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets, 7)), -1)), weights));
      };
      const mine = (xi: tf.Tensor, a: tf.Tensor, b: tf.Tensor) =>
        weightedCrossEntropy(loraMatmul(xi as tf.Tensor2D, xi as tf.Tensor2D, wt, a as tf.Tensor2D, b as tf.Tensor2D, 1.5), targets, weights);
      expect(Math.abs((await scalar(mine(x, at, bt))) - (await scalar(plain(x, at, bt))))).toBeLessThan(1e-4);
      const g1 = tf.grads(mine)([x, at, bt]);
      const g2 = tf.grads(plain)([x, at, bt]);
      for (const [i, g] of g1.entries()) expect(await maxDiff(g, g2[i])).toBeLessThan(1e-4);
    });
  });
});
