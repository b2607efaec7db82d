import * as tf from '@tensorflow/tfjs-core';
import { countDispatches } from '../src';
import { swigluWebGpu } from '../src/swiglu-webgpu';
import { describeBackends } from './backends';
import { maxRelDiff } from './helpers';

const plainSwiglu = (gate: tf.Tensor2D, up: tf.Tensor2D) => tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D;

describeBackends('SwiGLU kernels', (backend) => {
  (backend === 'webgpu' ? it : it.skip)('give silu(gate) * up and the gradients of both, in one dispatch forward and two backward', async () => {
    const gate = tf.randomNormal([7, 45], 0, 3, 'float32', 21) as tf.Tensor2D;
    const up = tf.randomNormal([7, 45], 0, 1, 'float32', 22) as tf.Tensor2D;
    const dy = tf.randomNormal([7, 45], 0, 1, 'float32', 23) as tf.Tensor2D;
    const run = (f: typeof swigluWebGpu) =>
      countDispatches(() => tf.tidy(() => [f(gate, up), ...tf.grads((g: tf.Tensor, u: tf.Tensor) => f(g as tf.Tensor2D, u as tf.Tensor2D))([gate, up], dy)]));
    const plain = await run(plainSwiglu);
    const fused = await run(swigluWebGpu);
    for (let i = 0; i < 3; i++) expect(maxRelDiff(await plain.result[i].data(), await fused.result[i].data())).toBeLessThan(1e-5);
    expect(fused.dispatches).toBe(4); // forward; inside tf.grads forward again, then the two gradients
    expect(plain.dispatches).toBeGreaterThan(10);
    tf.dispose([gate, up, dy, ...plain.result, ...fused.result]);
  });
});
