import * as tf from '@tensorflow/tfjs-core';
import { clipGlobalNorm } from '../src';
import { describeBackends } from './backends';

describeBackends('global-norm gradient clipping', () => {
  // More gradient tensors than a shader stage may bind (8 storage buffers on lavapipe): a LoRA of
  // two layers already has 28.
  it('measures the norm of many gradients and scales them to the limit', async () => {
    const host = Array.from({ length: 30 }, (_, i) => Float32Array.from([i, -0.5 * i, 1]));
    const grads = host.map((g) => tf.tensor1d(g));
    const want = Math.sqrt(host.reduce((acc, g) => acc + g.reduce((a, x) => a + x * x, 0), 0));
    const norm = await clipGlobalNorm(grads, 1);
    expect(norm).toBeCloseTo(want, 3);
    const clipped = await Promise.all(grads.map(async (g) => Array.from(await g.data())));
    expect(Math.sqrt(clipped.flat().reduce((a, x) => a + x * x, 0))).toBeCloseTo(1, 5);
    tf.dispose(grads);
  });
});
