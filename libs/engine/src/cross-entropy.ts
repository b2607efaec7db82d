/**
 * The losses over the lm_head's logits [tokens, vocab], the largest tensors of a training step (311
 * MB for 512 tokens at a 152k vocabulary). The hard-target cross-entropy is, on webgpu, one WGSL
 * kernel forward and one backward, a workgroup per row: the tfjs ops make about five more
 * logits-sized tensors (a one-hot and its float copy, products, exponentials, the softmax) and save
 * the one-hot for the backward pass; the kernels keep only the logits. Elsewhere it is the tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from './ops';
import { runRowProgram, useFusedKernels, workgroupMaxes, workgroupShared, workgroupSums } from './webgpu-kernels';

/**
 * Summed weighted cross-entropy: sum_i w_i * (logsumexp(logits_i) - logits_i[target_i]).
 * logits [N,V], targets [N] int32, weights [N] (0 for positions without loss). Returns a scalar.
 */
export function weightedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  if (!useFusedKernels()) return weightedCrossEntropyOps(logits, targets, weights);
  const f = customGrad((li: tf.Tensor, save: tf.GradSaveFunc) => {
    save([li, targets, weights]); // saved, since the caller's tidy may dispose them before backprop
    return {
      value: tf.sum(crossEntropyRowsKernel(li as tf.Tensor2D, targets, weights)),
      gradFunc: (dy: tf.Tensor, [ls, ts, ws]: tf.Tensor[]) => [crossEntropyGradKernel(ls as tf.Tensor2D, ts as tf.Tensor1D, ws as tf.Tensor1D, dy)],
    };
  });
  return f(logits) as tf.Scalar;
}

/** The tfjs ops (every backend; the reference for the kernels). */
export function weightedCrossEntropyOps(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const V = logits.shape[1];
  const f = customGrad((li: tf.Tensor, save: tf.GradSaveFunc) => {
    // Cast rather than oneHot(..., 'float32'): the wasm OneHot kernel returns zeros for float32 (tfjs 4.22).
    const onehot = tf.cast(tf.oneHot(targets, V), 'float32');
    const lse = tf.logSumExp(li, -1); // [N]
    const picked = tf.sum(tf.mul(li, onehot), -1); // [N]
    save([li, onehot, weights]); // saved, since the caller's tidy may dispose weights before backprop
    return {
      value: tf.sum(tf.mul(tf.sub(lse, picked), weights)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [ls, oh, ws] = saved;
          const w = tf.mul(tf.reshape(ws, [-1, 1]), dy);
          return [tf.mul(tf.sub(tf.softmax(ls), oh), w)];
        }),
    };
  });
  return f(logits) as tf.Scalar;
}

const THREADS = 256;

/** WGSL: the row's maximum and logsumexp as `lse` (every thread of the workgroup gets it). */
const rowLogSumExp = `
        let V = uniforms.logitsShape[1];
        let n = select(0, V, row < rows);
        let base = row * V;
        var mx = -3.402823e38;
        for (var k = lid; k < n; k = k + ${THREADS}) {
          mx = max(mx, logits[base + k]);
        }
        ${workgroupMaxes(['mx'], THREADS)}
        var se = 0.0;
        for (var k = lid; k < n; k = k + ${THREADS}) {
          se = se + exp(logits[base + k] - mxMax);
        }
        ${workgroupSums(['se'], THREADS)}
        let lse = mxMax + log(seSum);
        let t = select(0, targets[row], row < rows);
        let w = select(0.0, weights[row], row < rows);`;

/** [N, 1]: w_i * (logsumexp(logits_i) - logits_i[target_i]). */
function crossEntropyRowsKernel(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Tensor2D {
  const N = logits.shape[0];
  return runRowProgram<tf.Tensor2D>('retort_cross_entropy', ['logits', 'targets', 'weights'], [N, 1], THREADS, [logits, targets, weights], workgroupShared(['mx', 'se'], THREADS), `
        ${rowLogSumExp}
        if (lid == 0 && row < rows) {
          let picked = select(0.0, logits[base + t], t >= 0 && t < V);
          setOutputAtIndex(row, w * (lse - picked));
        }`);
}

/** [N, V]: (softmax(logits_i) - onehot(target_i)) * w_i * dy. */
function crossEntropyGradKernel(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D, dy: tf.Tensor): tf.Tensor2D {
  const dy1 = tf.reshape(dy, [1]);
  const out = runRowProgram<tf.Tensor2D>('retort_cross_entropy_grad', ['logits', 'targets', 'weights', 'dy'], logits.shape, THREADS, [logits, targets, weights, dy1], workgroupShared(['mx', 'se'], THREADS), `
        ${rowLogSumExp}
        let scale = w * dy[0];
        for (var k = lid; k < n; k = k + ${THREADS}) {
          let hit = select(0.0, 1.0, k == t);
          setOutputAtIndex(base + k, (exp(logits[base + k] - lse) - hit) * scale);
        }`);
  dy1.dispose();
  return out;
}

/**
 * Token-level distillation loss: sum_i w_i * T^2 * (logsumexp(z_i / T) - sum_j P_ij z_ij / T), the
 * cross-entropy of the student's temperature-T distribution against the teacher's P (rows summing to
 * 1, or all zero where w_i is 0). Forward KL(P || student) up to the teacher's entropy, a constant;
 * the T^2 keeps gradient sizes comparable across temperatures (Hinton et al.). logits and P [N, V],
 * weights [N]. Returns a scalar.
 */
export function softCrossEntropy(logits: tf.Tensor2D, probs: tf.Tensor2D, weights: tf.Tensor1D, temperature: number): tf.Scalar {
  const T = temperature;
  const f = customGrad((li: tf.Tensor, save: tf.GradSaveFunc) => {
    const scaled = tf.div(li, T);
    save([li, probs, weights]);
    const perRow = tf.sub(tf.logSumExp(scaled, -1), tf.sum(tf.mul(probs, scaled), -1)); // [N]
    return {
      value: tf.mul(tf.sum(tf.mul(perRow, weights)), T * T),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [ls, ps, ws] = saved;
          const w = tf.mul(tf.reshape(ws, [-1, 1]), tf.mul(dy, T));
          return [tf.mul(tf.sub(tf.softmax(tf.div(ls, T)), ps), w)];
        }),
    };
  });
  return f(logits) as tf.Scalar;
}
