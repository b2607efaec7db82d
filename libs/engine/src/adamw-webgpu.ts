/**
 * One AdamW update of one parameter in three WGSL kernels on webgpu (first moment, second moment,
 * parameter), where tfjs ops take sixteen with the clipping multiply: a 1.5B LoRA on every
 * projection has 392 parameter tensors, so a step's optimizer alone dispatched ~6,300 small kernels. The arithmetic is the
 * tfjs ops' own, in their order (optimizer.ts), in float32; the clipping scale is applied to the
 * gradient inside the kernels instead of by one more kernel per tensor. The global norm that decides
 * the clipping is summed one kernel per tensor too (square, sum and add were three).
 */
import * as tf from '@tensorflow/tfjs-core';
import { runFlatProgram, runRowProgram, workgroupShared, workgroupSums } from './webgpu-kernels';
import type { AdamWConfig } from './optimizer';

export interface AdamWScalars {
  lr: number;
  /** Bias corrections 1 - beta^t. */
  bc1: number;
  bc2: number;
  /** The global-norm clipping factor (1: none). */
  gradScale: number;
}

/** The new m, v and parameter values of one tensor (shaped as p). */
export function fusedAdamW(p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, c: AdamWConfig, s: AdamWScalars): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const m2 = runFlatProgram('retort_adamw_m', ['adamM', 'grad'], p.shape, [m, g], `
          let gi = grad[index] * uniforms.gs;
          setOutputAtIndex(index, adamM[index] * uniforms.b1 + gi * uniforms.c1);`, { gs: s.gradScale, b1: c.beta1, c1: 1 - c.beta1 });
  const v2 = runFlatProgram('retort_adamw_v', ['adamV', 'grad'], p.shape, [v, g], `
          let gi = grad[index] * uniforms.gs;
          setOutputAtIndex(index, adamV[index] * uniforms.b2 + (gi * gi) * uniforms.c2);`, { gs: s.gradScale, b2: c.beta2, c2: 1 - c.beta2 });
  const p2 = runFlatProgram('retort_adamw_p', ['param', 'adamM', 'adamV'], p.shape, [p, m2, v2], `
          let mhat = adamM[index] / uniforms.bc1;
          let denom = sqrt(adamV[index] / uniforms.bc2) + uniforms.eps;
          setOutputAtIndex(index, param[index] * uniforms.decay - (mhat / denom) * uniforms.lr);`, {
    bc1: s.bc1,
    bc2: s.bc2,
    eps: c.eps,
    decay: 1 - s.lr * c.weightDecay,
    lr: s.lr,
  });
  return [m2, v2, p2];
}

const SQUARES_WORKGROUP = 256;

/** acc [1, 1] + the sum of g's squares, in one workgroup (one dispatch per gradient tensor). */
export function addSquares(acc: tf.Tensor2D, g: tf.Tensor): tf.Tensor2D {
  const W = SQUARES_WORKGROUP;
  const flat = tf.reshape(g, [-1]); // its length is then the uniform gradShape
  const out = runRowProgram<tf.Tensor2D>('retort_add_squares', ['grad', 'acc'], [1, 1], W, [flat, acc], workgroupShared(['sq'], W), `
        let n = select(0, uniforms.gradShape, row < rows);
        var sq = 0.0;
        for (var k = lid; k < n; k = k + ${W}) {
          sq = sq + grad[k] * grad[k];
        }
        ${workgroupSums(['sq'], W)}
        if (lid == 0 && row < rows) {
          setOutputAtIndex(0, acc[0] + sqSum);
        }`);
  flat.dispose();
  return out;
}
