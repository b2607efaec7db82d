/**
 * The losses over the lm_head's logits [tokens, vocab], the largest tensors of a training step (311
 * MB for 512 tokens at a 152k vocabulary). Each is, on webgpu, one WGSL kernel forward and one
 * backward, a workgroup per row: the tfjs ops make several more logits-sized tensors (a one-hot and
 * its float copy, the teacher's top-k scattered to [tokens, vocab], products, exponentials, the
 * softmax) and save some for the backward pass; the kernels keep only the logits. Elsewhere it is
 * the tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from './ops';
import { runRowProgram, useFusedKernels, workgroupLogSumExp, workgroupShared } from './webgpu-kernels';

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

/**
 * WGSL: the row's width `V`, `base` index and weight `w`, and the logsumexp of `value('c')` over
 * its columns as `lse` (every thread of the workgroup gets it).
 */
const logitsRow = (value: (c: string) => string) => `
        let V = uniforms.logitsShape[1];
        let n = select(0, V, row < rows);
        let base = row * V;
        ${workgroupLogSumExp(value, 'n', THREADS)}
        let w = select(0.0, weights[row], row < rows);`;

/** The row's logsumexp of the logits and its target `t`. */
const rowLogSumExp = `${logitsRow((c) => `logits[base + ${c}]`)}
        let t = select(0, targets[row], row < rows);`;

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
        for (var c = lid; c < n; c = c + ${THREADS}) {
          let hit = select(0.0, 1.0, c == t);
          setOutputAtIndex(base + c, (exp(logits[base + c] - lse) - hit) * scale);
        }`);
  dy1.dispose();
  return out;
}

/**
 * The teacher's top-k per row of logits, in host memory: `ids` and `probs` [rows, k], row-major
 * (probabilities 0 where a row has fewer entries, or no teacher).
 */
export interface TeacherTopK {
  k: number;
  ids: Int32Array;
  probs: Float32Array;
}

/**
 * Token-level distillation loss: sum_i w_i * T^2 * (logsumexp(z_i / T) - sum_j P_ij z_ij / T), the
 * cross-entropy of the student's temperature-T distribution against the teacher's P (its top-k,
 * rows summing to 1, or all zero where w_i is 0). Forward KL(P || student) up to the teacher's
 * entropy, a constant; the T^2 keeps gradient sizes comparable across temperatures (Hinton et al.).
 * logits [N, V], weights [N]. Returns a scalar. On webgpu one kernel forward and one backward that
 * read the top-k where it is; the tfjs ops scatter it to [N, V] first.
 */
export function softCrossEntropy(logits: tf.Tensor2D, teacher: TeacherTopK, weights: tf.Tensor1D, temperature: number): tf.Scalar {
  if (!useFusedKernels()) return softCrossEntropyOps(logits, denseProbs(teacher, logits.shape), weights, temperature);
  const N = logits.shape[0];
  const ids = tf.tensor2d(teacher.ids, [N, teacher.k], 'int32');
  const probs = tf.tensor2d(teacher.probs, [N, teacher.k]);
  const f = customGrad((li: tf.Tensor, save: tf.GradSaveFunc) => {
    save([li, ids, probs, weights]);
    return {
      value: tf.sum(softCrossEntropyRowsKernel(li as tf.Tensor2D, ids, probs, weights, temperature)),
      gradFunc: (dy: tf.Tensor, [ls, is, ps, ws]: tf.Tensor[]) => [softCrossEntropyGradKernel(ls as tf.Tensor2D, is as tf.Tensor2D, ps as tf.Tensor2D, ws as tf.Tensor1D, dy, temperature)],
    };
  });
  return f(logits) as tf.Scalar;
}

/** The teacher's top-k as a dense [N, V] distribution (the tfjs ops' input). */
function denseProbs({ k, ids, probs }: TeacherTopK, [N, V]: [number, number]): tf.Tensor2D {
  const rows = Array.from({ length: N * k }, (_, i) => [Math.floor(i / k), ids[i]]).filter((_, i) => probs[i] !== 0);
  if (!rows.length) return tf.zeros([N, V]);
  return tf.scatterND(tf.tensor2d(rows, [rows.length, 2], 'int32'), tf.tensor1d(probs.filter((p) => p !== 0)), [N, V]) as tf.Tensor2D;
}

/** The tfjs ops over a dense teacher distribution probs [N, V] (every backend; the reference for the kernels). */
export function softCrossEntropyOps(logits: tf.Tensor2D, probs: tf.Tensor2D, weights: tf.Tensor1D, temperature: number): tf.Scalar {
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

/** The row's logsumexp of logits / T and the width `K` of its top-k. */
const rowLogSumExpAtT = `${logitsRow((c) => `logits[base + ${c}] * uniforms.invT`)}
        let K = uniforms.idsShape[1];`;

/** [N, 1]: w_i T^2 (logsumexp(z_i / T) - sum_j p_ij z_i[id_ij] / T). */
function softCrossEntropyRowsKernel(logits: tf.Tensor2D, ids: tf.Tensor2D, probs: tf.Tensor2D, weights: tf.Tensor1D, T: number): tf.Tensor2D {
  const N = logits.shape[0];
  return runRowProgram<tf.Tensor2D>('retort_soft_cross_entropy', ['logits', 'ids', 'probs', 'weights'], [N, 1], THREADS, [logits, ids, probs, weights], workgroupShared(['mx', 'se'], THREADS), `
        ${rowLogSumExpAtT}
        if (lid == 0 && row < rows) {
          var dot = 0.0;
          for (var j = 0; j < K; j = j + 1) {
            let id = ids[row * K + j];
            dot = dot + select(0.0, probs[row * K + j] * logits[base + id], id >= 0 && id < V);
          }
          setOutputAtIndex(row, w * uniforms.T2 * (lse - dot * uniforms.invT));
        }`, { invT: 1 / T, T2: T * T });
}

/**
 * [N, V]: (softmax(z_i / T) - P_i) w_i T dy. Every column gets the softmax, then one thread takes
 * the row's top-k from its entries (after a storage barrier: other threads wrote them), one at a
 * time, so repeated ids add up as the dense distribution's would.
 */
function softCrossEntropyGradKernel(logits: tf.Tensor2D, ids: tf.Tensor2D, probs: tf.Tensor2D, weights: tf.Tensor1D, dy: tf.Tensor, T: number): tf.Tensor2D {
  const dy1 = tf.reshape(dy, [1]);
  const out = runRowProgram<tf.Tensor2D>('retort_soft_cross_entropy_grad', ['logits', 'ids', 'probs', 'weights', 'dy'], logits.shape, THREADS, [logits, ids, probs, weights, dy1], workgroupShared(['mx', 'se'], THREADS), `
        ${rowLogSumExpAtT}
        let scale = w * uniforms.T * dy[0];
        for (var c = lid; c < n; c = c + ${THREADS}) {
          setOutputAtIndex(base + c, exp(logits[base + c] * uniforms.invT - lse) * scale);
        }
        storageBarrier();
        if (lid == 0 && row < rows) {
          for (var j = 0; j < K; j = j + 1) {
            let id = ids[row * K + j];
            if (id >= 0 && id < V) {
              result[base + id] = result[base + id] - probs[row * K + j] * scale;
            }
          }
        }`, { invT: 1 / T, T });
  dy1.dispose();
  return out;
}
