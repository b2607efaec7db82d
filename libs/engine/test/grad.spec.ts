import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src';
import { attention, loraMatmul, setWasmLayout, weightedCrossEntropy } from '../src/ops';

beforeAll(async () => {
  await initBackend(undefined, () => undefined);
});
afterAll(() => setWasmLayout(true));

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

// The hand-written gradients must match tfjs autodiff of the plain formulas, in both layouts.
describe.each([true, false])('custom gradients (wasm layout: %s)', (wasm) => {
  beforeAll(() => setWasmLayout(wasm));

  it('attention', () => {
    const [G, M, T, d] = [3, 8, 4, 5];
    const q = tf.randomNormal([G, M, d], 0, 1, 'float32', 1) as tf.Tensor3D;
    const k = tf.randomNormal([G, T, d], 0, 1, 'float32', 2) as tf.Tensor3D;
    const v = tf.randomNormal([G, T, d], 0, 1, 'float32', 3) as tf.Tensor3D;
    const mask = tf.tensor2d(Array.from({ length: M * T }, (_, i) => ((i % T) > (Math.floor(i / T) % T) ? -1e9 : 0)), [M, T]);
    const w = tf.randomNormal([G, M, d], 0, 1, 'float32', 4);
    const plain = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true), 0.3), mask)), c as tf.Tensor3D), w));
    const mine = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, mask, 0.3), w));
    expect(Math.abs(mine(q, k, v).dataSync()[0] - plain(q, k, v).dataSync()[0])).toBeLessThan(1e-4);
    const g1 = tf.grads(mine)([q, k, v]);
    const g2 = tf.grads(plain)([q, k, v]);
    g1.forEach((g, i) => expect(maxDiff(g, g2[i])).toBeLessThan(1e-4));
  });

  it('LoRA linear and cross-entropy', () => {
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
    expect(Math.abs(mine(x, at, bt).dataSync()[0] - plain(x, at, bt).dataSync()[0])).toBeLessThan(1e-4);
    const g1 = tf.grads(mine)([x, at, bt]);
    const g2 = tf.grads(plain)([x, at, bt]);
    g1.forEach((g, i) => expect(maxDiff(g, g2[i])).toBeLessThan(1e-4));
  });
});
