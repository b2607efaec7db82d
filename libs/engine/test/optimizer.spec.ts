import * as tf from '@tensorflow/tfjs-core';
import { adamWStep, clipGlobalNorm, clipScale, countDispatches, globalNorm, initAdamW, Rng } from '../src';
import { describeBackends } from './backends';
import { maxRelDiff } from './helpers';

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

describeBackends('the global gradient norm', (backend) => {
  it(`is summed in one kernel per tensor on webgpu, as the tfjs ops sum it [${backend}]`, async () => {
    const rng = new Rng(9);
    // 1000 x 300: many strides of a 256-thread workgroup; [1, 3]: fewer values than threads
    const grads = [[1000, 300], [1, 3], [64, 8]].map(([r, c]) => tf.tensor2d(Array.from({ length: r * c }, () => rng.normal()), [r, c]));
    const want = Math.sqrt(grads.reduce((acc, g) => acc + (g.dataSync() as Float32Array).reduce((a, x) => a + x * x, 0), 0));
    const ops = await countDispatches(() => globalNorm(grads, false));
    expect(Math.abs(ops.result / want - 1)).toBeLessThan(1e-4); // float32 sums of 300k values
    if (backend === 'webgpu') {
      const fused = await countDispatches(() => globalNorm(grads, true));
      expect(Math.abs(fused.result / want - 1)).toBeLessThan(1e-4);
      expect(ops.dispatches).toBe(3 * 3 - 1);
      expect(fused.dispatches).toBe(3); // one per tensor (the zero to start from is uploaded, not computed)
    }
    tf.dispose(grads);
  });
});

describeBackends('AdamW', (backend) => {
  const config = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
  /** Three steps over 30 parameter tensors of a few shapes, with clipping; the parameters and moments after them. */
  async function run(fused: boolean): Promise<{ values: number[][]; dispatches?: number; kernels: number }> {
    const rng = new Rng(4);
    const shapes: [number, number][] = [[16, 4], [4, 24], [1, 7]];
    const params = Array.from({ length: 30 }, (_, i) => tf.variable(tf.tensor2d(Array.from({ length: shapes[i % 3][0] * shapes[i % 3][1] }, () => rng.normal()), shapes[i % 3])));
    const state = initAdamW(params);
    let kernels = 0;
    let dispatches: number | undefined;
    for (let step = 0; step < 3; step++) {
      const grads = params.map((p) => tf.tensor2d(Array.from({ length: p.size }, () => rng.normal() * 2), p.shape as [number, number]));
      const scale = clipScale(await globalNorm(grads), 5);
      expect(scale).toBeLessThan(1); // the norm of 30 such tensors is far above 5: clipping is exercised
      const counted = await countDispatches(() => tf.profile(() => adamWStep(params, grads, state, 1e-2 * (step + 1), config, scale, fused)));
      kernels = counted.result.kernels.length;
      dispatches = counted.dispatches;
      tf.dispose(grads);
    }
    const values = await Promise.all([...params, ...state.m, ...state.v].map(async (t) => Array.from(await t.data())));
    tf.dispose([...params, ...state.m, ...state.v]);
    return { values, dispatches, kernels };
  }

  it(`dispatches three fused kernels per tensor on webgpu, with the tfjs ops' parameters and moments [${backend}]`, async () => {
    const ops = await run(false);
    expect(ops.kernels).toBe(30 * 16); // the clipping factor's multiply, then fifteen
    if (backend !== 'webgpu') return;
    expect(ops.dispatches).toBe(30 * 16);
    const fused = await run(true);
    expect(fused.kernels).toBe(0); // the engine's own WGSL, no tfjs kernel
    expect(fused.dispatches).toBe(30 * 3);
    const worst = Math.max(...ops.values.map((v, i) => maxRelDiff(v, fused.values[i])));
    expect(worst).toBeLessThan(1e-6);
  });
});
