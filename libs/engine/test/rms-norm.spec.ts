import * as tf from '@tensorflow/tfjs-core';
import { countDispatches, Rng } from '../src';
import { rmsNorm, rmsNormOps } from '../src/rms-norm';
import { describeBackends } from './backends';
import { maxRelDiff } from './helpers';

describeBackends('RMSNorm', (backend) => {
  const random = (rng: Rng, n: number, scale = 1) => Array.from({ length: n }, () => rng.normal() * scale);

  // 300 and 32 columns: not a multiple of a workgroup (64), and fewer; 1536: the 1.5B hidden size, 256 threads per row
  it.each([[37, 300], [5, 32], [3, 1536]])(`gives the tfjs ops' values and gradient by x for [%i, %i] [${backend}]`, async (N, H) => {
    const rng = new Rng(N * H);
    const x = tf.tensor2d(random(rng, N * H, 3), [N, H]);
    const w = tf.tensor1d(random(rng, H));
    const dy = tf.tensor2d(random(rng, N * H), [N, H]);
    const eps = 1e-6;
    const run = (norm: typeof rmsNorm) => countDispatches(() => tf.tidy(() => [norm(x, w, eps), tf.grad((xi: tf.Tensor) => norm(xi as tf.Tensor2D, w, eps))(x, dy)]));
    const ops = await run(rmsNormOps);
    const fused = await run(rmsNorm);
    for (let i = 0; i < 2; i++) expect(maxRelDiff(await ops.result[i].data(), await fused.result[i].data())).toBeLessThan(1e-5);
    expect(maxRelDiff(await ops.result[1].data(), new Float32Array(N * H))).toBe(1); // a gradient, not zeros
    if (backend === 'webgpu') {
      expect(ops.dispatches).toBeGreaterThan(10);
      expect(fused.dispatches).toBe(3); // one forward and one backward kernel (and the forward again inside tf.grad)
    }
    tf.dispose([x, w, dy, ...ops.result, ...fused.result]);
  });
});
