/**
 * Attention's softmax on webgpu: the scaled, causally masked softmax of the scores as one WGSL
 * kernel, a workgroup per row, and its gradient as one more, where the tfjs ops dispatch three
 * (scale, mask, softmax) and five, each making a [heads, queries, keys] tensor, and the mask itself
 * is one more such tensor. The causal mask is read from the row's position instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { rowWorkgroupSize, runRowProgram, workgroupLogSumExp, workgroupShared, workgroupSums } from './webgpu-kernels';

/**
 * softmax(scores * scale) over the keys each query may see: scores [G, M, S] for M = g x queryLen
 * query rows (row m is position S - queryLen + m % queryLen), which see keys 0..that position.
 */
export function causalSoftmaxWebGpu(scores: tf.Tensor3D, scale: number, queryLen: number): tf.Tensor3D {
  const [G, M, S] = scores.shape;
  const W = rowWorkgroupSize(S);
  const rows = tf.reshape(scores, [G * M, S]);
  const p = runRowProgram<tf.Tensor2D>('retort_causal_softmax', ['scores'], [G * M, S], W, [rows], workgroupShared(['mx', 'se'], W), `
        let S = uniforms.outShape[1];
        let T = i32(uniforms.queryLen);
        let last = S - T + row % T; // the last key this query sees (M is a multiple of T)
        let n = select(0, last + 1, row < rows);
        let base = row * S;
        ${workgroupLogSumExp((c) => `scores[base + ${c}] * uniforms.scale`, 'n', W)}
        if (row < rows) {
          for (var k = lid; k < S; k = k + ${W}) {
            setOutputAtIndex(base + k, select(0.0, exp(scores[base + k] * uniforms.scale - lse), k < n));
          }
        }`, { scale, queryLen });
  rows.dispose();
  return reshapeOwned(p, [G, M, S]);
}

/** The gradient of the scores from that of the probabilities: p * (dp - sum(dp * p)) * scale, per row. */
export function causalSoftmaxGradWebGpu(p: tf.Tensor3D, dp: tf.Tensor3D, scale: number): tf.Tensor3D {
  const [G, M, S] = p.shape;
  const W = rowWorkgroupSize(S);
  const p2 = tf.reshape(p, [G * M, S]);
  const dp2 = tf.reshape(dp, [G * M, S]);
  const ds = runRowProgram<tf.Tensor2D>('retort_causal_softmax_grad', ['p', 'dp'], [G * M, S], W, [p2, dp2], workgroupShared(['dot'], W), `
        let S = uniforms.outShape[1];
        let n = select(0, S, row < rows);
        let base = row * S;
        var dot = 0.0;
        for (var k = lid; k < n; k = k + ${W}) {
          dot = dot + p[base + k] * dp[base + k];
        }
        ${workgroupSums(['dot'], W)}
        for (var k = lid; k < n; k = k + ${W}) {
          let i = base + k;
          setOutputAtIndex(i, p[i] * (dp[i] - dotSum) * uniforms.scale);
        }`, { scale });
  tf.dispose([p2, dp2]);
  return reshapeOwned(ds, [G, M, S]);
}

function reshapeOwned(x: tf.Tensor2D, shape: [number, number, number]): tf.Tensor3D {
  const y = tf.reshape(x, shape) as tf.Tensor3D;
  x.dispose();
  return y;
}
