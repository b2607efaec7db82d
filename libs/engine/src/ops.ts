/**
 * Differentiable building blocks with hand-written gradients, shaped by where the time goes on the wasm
 * backend: XNNPACK serves only plain 2-D `matMul(a, b)` (no transpose flags, no batch); a transposed or
 * batched matMul falls to a naive loop about 12x slower, and `slice` copies its whole input. So on
 * wasm every product is a plain 2-D matMul on explicitly transposed operands, attention runs per
 * head group, and frozen base weights never get a gradient. Other backends use the flags directly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dequantizeNf4, Nf4Weight } from './nf4';
import { frozenProduct, HostWeight } from './host-weights';
import { Bf16Weight, widenBf16 } from './bf16-weights';
import { causalSoftmaxGradWebGpu, causalSoftmaxWebGpu } from './attention-webgpu';

let wasmLayout = false;

type GradFn = Parameters<typeof tf.customGrad>[0];
/** tf.customGrad with positional tensor inputs (its typing is variadic). */
export const customGrad = (f: (...args: any[]) => ReturnType<GradFn>) => tf.customGrad(f as GradFn);

/** a + b + ... one add at a time: tf.addN binds every input at once, and past 7 inputs goes over webgpu's 8 storage buffers per shader (a wrong sum, no error). */
export function addOneByOne(parts: tf.Tensor[]): tf.Tensor {
  return parts.reduce((a, b) => tf.add(a, b));
}

/** Called once the backend is known (initBackend does it). */
export function setWasmLayout(on: boolean): void {
  wasmLayout = on;
}

export function isWasmLayout(): boolean {
  return wasmLayout;
}

/** a [M,K] (or [K,M] when transA) times b [K,N] (or [N,K] when transB), fast on every backend. */
export function mm(a: tf.Tensor2D, b: tf.Tensor2D, transA = false, transB = false): tf.Tensor2D {
  if (!wasmLayout) return tf.matMul(a, b, transA, transB);
  return tf.tidy(() => tf.matMul(transA ? tf.transpose(a) : a, transB ? tf.transpose(b) : b));
}

/** x [N,in] times a constant w [in,out] (no gradient for w): the frozen part of a linear layer. */
export function constMatmul(x: tf.Tensor2D, w: tf.Tensor2D, wT?: tf.Tensor2D): tf.Tensor2D {
  const f = customGrad((xi: tf.Tensor) => ({
    value: tf.matMul(xi as tf.Tensor2D, w),
    gradFunc: (dy: tf.Tensor) => tf.tidy(() => (wT ? tf.matMul(dy as tf.Tensor2D, wT) : mm(dy as tf.Tensor2D, w, false, true))),
  }));
  return f(x) as tf.Tensor2D;
}

/**
 * x [N,in] times w^T for a constant w [out,in] (no gradient for w): the lm_head, held once in its
 * HF layout (tied to the embedding or not) instead of beside a transposed copy. On the wasm
 * layout (XNNPACK, no native BLAS) the transpose is made per call and freed with it.
 */
export function constMatmulT(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const f = customGrad((xi: tf.Tensor) => ({
    value: mm(xi as tf.Tensor2D, w, false, true),
    gradFunc: (dy: tf.Tensor) => tf.matMul(dy as tf.Tensor2D, w),
  }));
  return f(x) as tf.Tensor2D;
}

/**
 * The frozen weight of a linear layer y = x W^T: dense and transposed (`wt` [in, out]), or NF4 codes
 * of W [out, in] that are dequantized where they are used, in the forward pass and again in the
 * backward pass (as bitsandbytes' MatMul4Bit does), the float copy freed right after each product;
 * or W [out, in] in host memory, multiplied there (host-weights.ts); or W [out, in] as bf16, widened
 * to float32 where it is used as NF4 is dequantized (bf16-weights.ts); or W as parts of its rows, each
 * one of those, multiplied a part at a time.
 */
export type Frozen =
  | { wt: tf.Tensor2D; nf4?: undefined; host?: undefined; bf16?: undefined; parts?: undefined }
  | { nf4: Nf4Weight; wt?: undefined; host?: undefined; bf16?: undefined; parts?: undefined }
  | { host: HostWeight; wt?: undefined; nf4?: undefined; bf16?: undefined; parts?: undefined }
  | { bf16: Bf16Weight; wt?: undefined; nf4?: undefined; host?: undefined; parts?: undefined }
  /** W as blocks of its output rows (`rows[j]` each), one storage binding each (linear-weights.ts). */
  | { parts: Frozen[]; rows: number[]; wt?: undefined; nf4?: undefined; host?: undefined; bf16?: undefined };

function asFrozen(w: tf.Tensor2D | Frozen): Frozen {
  return w instanceof tf.Tensor ? { wt: w } : w;
}

/** x [N,in] W^T -> [N,out]. */
function frozenForward(x: tf.Tensor2D, f: Frozen): tf.Tensor2D {
  if (f.parts) return tf.tidy(() => tf.concat(f.parts.map((p) => frozenForward(x, p)), 1));
  if (f.wt) return tf.matMul(x, f.wt);
  if (f.host) return frozenProduct(x, f.host, true)!;
  if (f.bf16) return tf.tidy(() => mm(x, widenBf16(f.bf16), false, true));
  const q = f.nf4!;
  const native = frozenProduct(x, { heapNf4: q }, true);
  if (native) return native;
  return tf.tidy(() => {
    const W = dequantizeNf4(q); // [out, in]
    return wasmLayout ? tf.matMul(x, tf.transpose(W)) : tf.matMul(x, W, false, true);
  });
}

/** dy [N,out] W -> [N,in]. */
function frozenBackward(dy: tf.Tensor2D, f: Frozen): tf.Tensor2D {
  if (f.parts) return sumOverColumnBlocks(dy, f.rows, (block, j) => frozenBackward(block, f.parts[j]));
  if (f.wt) return mm(dy, f.wt, false, true);
  if (f.host) return frozenProduct(dy, f.host, false)!;
  if (f.bf16) return tf.tidy(() => tf.matMul(dy, widenBf16(f.bf16)));
  const q = f.nf4!;
  return frozenProduct(dy, { heapNf4: q }, false) ?? tf.tidy(() => tf.matMul(dy, dequantizeNf4(q)));
}

/**
 * sum_j grad(dy[:, block j], j) for consecutive column blocks of dy of widths `widths`: a product's
 * input gradient where its weight is held in blocks of rows, summed a block at a time so that each
 * block's temporaries (a bf16 or NF4 float copy) are freed before the next is made.
 */
export function sumOverColumnBlocks(dy: tf.Tensor2D, widths: number[], grad: (block: tf.Tensor2D, j: number) => tf.Tensor2D): tf.Tensor2D {
  let first = 0;
  let sum: tf.Tensor2D | undefined;
  widths.forEach((width, j) => {
    const next = tf.tidy(() => {
      const g = grad(tf.slice(dy, [0, first], [-1, width]), j);
      return sum ? tf.add(sum, g) : g;
    });
    sum?.dispose();
    sum = next as tf.Tensor2D;
    first += width;
  });
  return sum!;
}

/** x [N,in] times a frozen weight, dense or NF4 (no gradient for the weight). */
export function frozenMatmul(x: tf.Tensor2D, w: tf.Tensor2D | Frozen): tf.Tensor2D {
  const fw = asFrozen(w);
  const f = customGrad((xi: tf.Tensor) => ({
    value: frozenForward(xi as tf.Tensor2D, fw),
    gradFunc: (dy: tf.Tensor) => frozenBackward(dy as tf.Tensor2D, fw),
  }));
  return f(x) as tf.Tensor2D;
}

/**
 * y = x W^T + scale * (xd at) bt: a frozen linear layer (dense wt [in,out] or NF4) with a LoRA branch.
 * x [N,in], xd = dropout(x) [N,in], at [in,r] and bt [r,out] trainable.
 */
export function loraMatmul(
  x: tf.Tensor2D,
  xd: tf.Tensor2D,
  w: tf.Tensor2D | Frozen,
  at: tf.Tensor2D,
  bt: tf.Tensor2D,
  scale: number,
): tf.Tensor2D {
  const fw = asFrozen(w);
  const f = customGrad((xi: tf.Tensor, xdi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const h = tf.mul(tf.matMul(xdi as tf.Tensor2D, ai as tf.Tensor2D), scale) as tf.Tensor2D; // [N, r]
    save([xdi, ai, bi, h]);
    return {
      value: tf.add(frozenForward(xi as tf.Tensor2D, fw), tf.matMul(h, bi as tf.Tensor2D)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xds, as, bs, hs] = saved as tf.Tensor2D[];
          const d = dy as tf.Tensor2D;
          const g = tf.mul(mm(d, bs, false, true), scale) as tf.Tensor2D; // [N, r]
          return [frozenBackward(d, fw), mm(g, as, false, true), mm(xds, g, true, false), mm(hs, d, true, false)];
        }),
    };
  });
  return f(x, xd, at, bt) as tf.Tensor2D;
}

/**
 * [G, M, d] -> G tensors [M, d] through one host copy: on wasm both slice and gather are slow here
 * (slice copies its whole input each call; gather walks element by element).
 */
function unstack(x: tf.Tensor3D): tf.Tensor2D[] {
  const [G, M, d] = x.shape;
  const data = x.dataSync() as Float32Array;
  return Array.from({ length: G }, (_, g) => tf.tensor2d(data.subarray(g * M * d, (g + 1) * M * d), [M, d]));
}

/**
 * Which keys each query row of attention sees: an additive mask [M, T] (0 or -1e9) shared by all
 * groups, or `{ causalQueryLen }`, causal for that many new positions after the cached ones, read
 * from each row's position by the fused kernel (webgpu only: the other backends take the tensor).
 */
export type AttentionMask = tf.Tensor2D | { causalQueryLen: number };

/**
 * Scaled dot-product attention over G head groups: q [G,M,d], k and v [G,T,d]; returns [G,M,d].
 * With grouped-query attention a group is one key/value head and M stacks its query heads
 * (M = heads per group x query length).
 */
export function attention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, mask: AttentionMask, scale: number): tf.Tensor3D {
  const f = customGrad((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, save: tf.GradSaveFunc) => {
    const [G, M, d] = qi.shape;
    if (!wasmLayout) {
      const scores = tf.matMul(qi as tf.Tensor3D, ki as tf.Tensor3D, false, true) as tf.Tensor3D;
      // The probabilities, and the scores' gradient from theirs: p * (dp - sum(dp * p)) * scale, per row.
      const [p, scoresGrad] =
        mask instanceof tf.Tensor
          ? [tf.softmax(tf.add(tf.mul(scores, scale), mask)) as tf.Tensor3D, (dp: tf.Tensor3D, ps: tf.Tensor3D) => tf.mul(tf.mul(ps, tf.sub(dp, tf.sum(tf.mul(dp, ps), -1, true))), scale) as tf.Tensor3D]
          : [causalSoftmaxWebGpu(scores, scale, mask.causalQueryLen), (dp: tf.Tensor3D, ps: tf.Tensor3D) => causalSoftmaxGradWebGpu(ps, dp, scale)];
      save([qi, ki, vi, p]);
      return {
        value: tf.matMul(p, vi as tf.Tensor3D),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          tf.tidy(() => {
            const [qs, ks, vs, ps] = saved as tf.Tensor3D[];
            const ds = scoresGrad(tf.matMul(dy as tf.Tensor3D, vs, false, true), ps);
            return [tf.matMul(ds, ks), tf.matMul(ds, qs, true, false), tf.matMul(ps, dy as tf.Tensor3D, true, false)];
          }),
      };
    }
    if (!(mask instanceof tf.Tensor)) throw new Error('attention: a causal mask without its tensor is for the webgpu kernels only');
    const qs = unstack(qi as tf.Tensor3D);
    const kts = unstack(tf.transpose(ki, [0, 2, 1]) as tf.Tensor3D); // [d, T] each
    const vs = unstack(vi as tf.Tensor3D);
    const ps: tf.Tensor2D[] = [];
    const outs: tf.Tensor2D[] = [];
    for (let g = 0; g < G; g++) {
      const p = tf.softmax(tf.add(tf.mul(tf.matMul(qs[g], kts[g]), scale), mask)) as tf.Tensor2D; // [M, T]
      ps.push(p);
      outs.push(tf.matMul(p, vs[g]));
    }
    save([qi, ki, vi, tf.stack(ps)]);
    return {
      value: tf.reshape(tf.concat(outs), [G, M, d]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [q3, k3, v3, p3] = saved as tf.Tensor3D[];
          const P = unstack(p3);
          const K = unstack(k3);
          const QT = unstack(tf.transpose(q3, [0, 2, 1]) as tf.Tensor3D); // [d, M]
          const VT = unstack(tf.transpose(v3, [0, 2, 1]) as tf.Tensor3D); // [d, T]
          const DY = unstack(dy as tf.Tensor3D); // [M, d]
          const DYT = unstack(tf.transpose(dy, [0, 2, 1]) as tf.Tensor3D); // [d, M]
          const dq: tf.Tensor2D[] = [];
          const dkT: tf.Tensor2D[] = [];
          const dvT: tf.Tensor2D[] = [];
          for (let g = 0; g < G; g++) {
            const dp = tf.matMul(DY[g], VT[g]); // [M, T]
            const ds = tf.mul(tf.mul(P[g], tf.sub(dp, tf.sum(tf.mul(dp, P[g]), -1, true))), scale) as tf.Tensor2D;
            dq.push(tf.matMul(ds, K[g])); // [M, d]
            dkT.push(tf.matMul(QT[g], ds)); // [d, T]
            dvT.push(tf.matMul(DYT[g], P[g])); // [d, T]
          }
          return [
            tf.reshape(tf.concat(dq), [G, M, d]),
            tf.transpose(tf.stack(dkT), [0, 2, 1]),
            tf.transpose(tf.stack(dvT), [0, 2, 1]),
          ];
        }),
    };
  });
  return f(q, k, v) as tf.Tensor3D;
}
