import * as tf from '@tensorflow/tfjs-core';
import { countDispatches, Rng } from '../src';
import { softCrossEntropy, softCrossEntropyOps, weightedCrossEntropy, weightedCrossEntropyOps, type TeacherTopK } from '../src/cross-entropy';
import { describeBackends } from './backends';
import { maxRelDiff } from './helpers';

describeBackends('weighted cross-entropy', (backend) => {
  // 1,000 and 4,099 columns: not a multiple of a workgroup (256); 100: fewer. Logits up to ~60: exp overflows without the row maximum.
  it.each([[9, 1000], [4, 100], [3, 4099]])(`gives the tfjs ops' loss and gradient for [%i, %i] [${backend}]`, async (N, V) => {
    const rng = new Rng(N + V);
    const logits = tf.tensor2d(Array.from({ length: N * V }, () => rng.normal() * 20), [N, V]);
    const ids = Array.from({ length: N }, (_, i) => (i === 0 ? 0 : i === 1 ? V - 1 : rng.int(V)));
    const targets = tf.tensor1d(ids, 'int32');
    const weights = tf.tensor1d(ids.map((_, i) => (i === 2 ? 0 : 0.5 + i)));
    const dy = tf.scalar(0.7);
    const run = (loss: typeof weightedCrossEntropy) =>
      countDispatches(() => tf.tidy(() => [loss(logits, targets, weights), tf.grad((l: tf.Tensor) => loss(l as tf.Tensor2D, targets, weights))(logits, dy)]));
    const ops = await run(weightedCrossEntropyOps);
    const fused = await run(weightedCrossEntropy);
    for (let i = 0; i < 2; i++) expect(maxRelDiff(await ops.result[i].data(), await fused.result[i].data())).toBeLessThan(1e-5);
    expect((await ops.result[0].data())[0]).toBeGreaterThan(1); // a loss, not zero
    const grad = await fused.result[1].data();
    expect(grad.slice(2 * V, 3 * V).every((g) => g === 0)).toBe(true); // the row of weight 0
    if (backend === 'webgpu') {
      expect(ops.dispatches).toBeGreaterThan(12);
      expect(fused.dispatches).toBe(5); // forward kernel and its sum, then inside tf.grad the same and the backward kernel
    }
    tf.dispose([logits, targets, weights, dy, ...ops.result, ...fused.result]);
  });

  // The teacher's top-5 per row: one row without a teacher (probabilities 0, weight 0), one whose
  // top-k repeats an id (the dense distribution adds them), one with fewer than 5 entries.
  it.each([[6, 1000], [3, 4099]])(`distillation: gives the tfjs ops' loss and gradient over the dense distribution for [%i, %i] [${backend}]`, async (N, V) => {
    const rng = new Rng(7 * N + V);
    const k = 5;
    const logits = tf.tensor2d(Array.from({ length: N * V }, () => rng.normal() * 20), [N, V]);
    const teacher: TeacherTopK = { k, ids: new Int32Array(N * k), probs: new Float32Array(N * k) };
    for (let r = 0; r < N; r++) {
      if (r === 1) continue;
      const n = r === 2 ? 2 : k;
      const p = Array.from({ length: n }, () => rng.next() + 0.1);
      const sum = p.reduce((a, b) => a + b, 0);
      for (let j = 0; j < n; j++) {
        teacher.ids[r * k + j] = r === 0 && j === 1 ? teacher.ids[r * k] : rng.int(V);
        teacher.probs[r * k + j] = p[j] / sum;
      }
    }
    teacher.ids[k - 1] = V - 1;
    const dense = new Float32Array(N * V);
    teacher.ids.forEach((id, i) => (dense[Math.floor(i / k) * V + id] += teacher.probs[i]));
    const probs = tf.tensor2d(dense, [N, V]);
    const weights = tf.tensor1d(Array.from({ length: N }, (_, i) => (i === 1 ? 0 : 0.5 + i)));
    const dy = tf.scalar(0.7);
    const T = 2;
    const run = (loss: (l: tf.Tensor2D) => tf.Scalar) => countDispatches(() => tf.tidy(() => [loss(logits), tf.grad((l: tf.Tensor) => loss(l as tf.Tensor2D))(logits, dy)]));
    const ops = await run((l) => softCrossEntropyOps(l, probs, weights, T));
    const fused = await run((l) => softCrossEntropy(l, teacher, weights, T));
    for (let i = 0; i < 2; i++) expect(maxRelDiff(await ops.result[i].data(), await fused.result[i].data())).toBeLessThan(1e-5);
    expect((await ops.result[0].data())[0]).toBeGreaterThan(1);
    if (backend === 'webgpu') {
      expect(ops.dispatches).toBeGreaterThan(12);
      expect(fused.dispatches).toBe(5);
    }
    tf.dispose([logits, probs, weights, dy, ...ops.result, ...fused.result]);
  });
});
