/** AdamW (decoupled weight decay, as torch.optim.AdamW) and global-norm gradient clipping. */
import * as tf from '@tensorflow/tfjs-core';
import { addSquares, fusedAdamW } from './adamw-webgpu';
import { useFusedKernels } from './webgpu-kernels';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface AdamWState {
  /** Number of updates taken. */
  t: number;
  m: tf.Tensor[];
  v: tf.Tensor[];
}

export function initAdamW(params: tf.Variable[]): AdamWState {
  // tf.zeros is made on the host and uploaded, where zerosLike dispatches a fill kernel per tensor on webgpu
  return { t: 0, m: params.map((p) => tf.zeros(p.shape)), v: params.map((p) => tf.zeros(p.shape)) };
}

/** The global L2 norm of the gradients (one read from the device; on webgpu one kernel per tensor, adamw-webgpu.ts). */
export async function globalNorm(grads: tf.Tensor[], fused = useFusedKernels()): Promise<number> {
  if (fused) {
    let acc = tf.zeros([1, 1]) as tf.Tensor2D;
    for (const g of grads) {
      const next = addSquares(acc, g);
      acc.dispose();
      acc = next;
    }
    const norm = Math.sqrt((await acc.data())[0]);
    acc.dispose();
    return norm;
  }
  // Chained adds, not tf.addN: webgpu's AddN binds every input at once, and past the device's
  // storage buffers per shader stage (8 on some adapters) its pipeline is invalid and reads zeros.
  const sumSq = tf.tidy(() => grads.map((g) => tf.sum(tf.square(g))).reduce((acc, s) => tf.add(acc, s)));
  const norm = Math.sqrt((await sumSq.data())[0]);
  sumSq.dispose();
  return norm;
}

/** The factor that brings a gradient of norm `norm` to at most maxNorm (0: no clipping). */
export function clipScale(norm: number, maxNorm: number): number {
  return maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
}

/** Scales grads in place so that their global L2 norm is at most maxNorm; resolves to the norm before clipping. */
export async function clipGlobalNorm(grads: tf.Tensor[], maxNorm: number): Promise<number> {
  const norm = await globalNorm(grads);
  const scale = clipScale(norm, maxNorm);
  if (scale !== 1) {
    for (let i = 0; i < grads.length; i++) {
      const scaled = tf.mul(grads[i], scale);
      grads[i].dispose();
      grads[i] = scaled;
    }
  }
  return norm;
}

/**
 * One AdamW update: p <- p (1 - lr wd) - lr mhat / (sqrt(vhat) + eps), of the gradients times
 * `gradScale` (clipScale's factor). On webgpu three fused kernels per tensor (adamw-webgpu.ts);
 * elsewhere, or with `fused` false, tfjs ops.
 */
export function adamWStep(params: tf.Variable[], grads: tf.Tensor[], state: AdamWState, lr: number, c: AdamWConfig, gradScale = 1, fused = useFusedKernels()): void {
  state.t += 1;
  const bc1 = 1 - c.beta1 ** state.t;
  const bc2 = 1 - c.beta2 ** state.t;
  params.forEach((p, i) => {
    if (fused) {
      const [m, v, next] = fusedAdamW(p, state.m[i], state.v[i], grads[i], c, { lr, bc1, bc2, gradScale });
      tf.dispose([state.m[i], state.v[i]]);
      state.m[i] = m;
      state.v[i] = v;
      p.assign(next);
      next.dispose();
      return;
    }
    const [m, v] = tf.tidy(() => {
      const g = gradScale === 1 ? grads[i] : tf.mul(grads[i], gradScale);
      return [tf.add(tf.mul(state.m[i], c.beta1), tf.mul(g, 1 - c.beta1)), tf.add(tf.mul(state.v[i], c.beta2), tf.mul(tf.square(g), 1 - c.beta2))];
    });
    tf.dispose([state.m[i], state.v[i]]);
    state.m[i] = m;
    state.v[i] = v;
    tf.tidy(() => {
      const decayed = tf.mul(p, 1 - lr * c.weightDecay);
      const step = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), c.eps));
      p.assign(tf.sub(decayed, tf.mul(step, lr)));
    });
  });
}
