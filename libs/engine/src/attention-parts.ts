/**
 * Attention a part of its scores at a time. On webgpu every tensor is one storage binding, and a
 * layer's scores [groups, heads per group x queries, keys] grow with the square of the sequence
 * (a 7B model's at 4096 tokens: 1.8 GiB, more than lavapipe's 128 MiB and near a GPU's 2-4 GiB).
 * Where they do not fit, attention() runs on parts whose scores do: whole key/value groups; else,
 * within a group, whole query heads; else, within a head, blocks of consecutive queries, each with
 * only the keys it may see (a query sees the keys up to its own position, so a block's causal mask
 * is the whole one's, cut to its rows and columns). The parts' outputs are concatenated and their
 * gradients flow back through the slices, so the result is attention's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { attention, AttentionMask } from './ops';

/**
 * attention(q, k, v, mask, scale) with no scores tensor above `maxBytes` (float32): q [G, M, d] with
 * M = heads x queryLen (head-major), k and v [G, S, d] with S = past + queryLen; a tensor mask is
 * causalMask's [M, S] (the same rows for every head). Without a limit, or where all fits, one call.
 */
export function attentionInParts(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, mask: AttentionMask, scale: number, queryLen: number, maxBytes?: number): tf.Tensor3D {
  const [G, M] = q.shape;
  const S = k.shape[1];
  const scoresBytes = (groups: number, rows: number, keys = S) => 4 * groups * rows * keys;
  if (maxBytes === undefined || scoresBytes(G, M) <= maxBytes) return attention(q, k, v, mask, scale);
  const groups = Math.floor(maxBytes / scoresBytes(1, M));
  if (groups >= 1) return tf.concat(ranges(G, groups).map(([g, n]) => attention(part(q, g, n), part(k, g, n), part(v, g, n), mask, scale)), 0);
  const heads = M / queryLen;
  const perHead = Math.floor(maxBytes / scoresBytes(1, queryLen));
  const past = S - queryLen;
  const outs: tf.Tensor3D[] = [];
  for (let g = 0; g < G; g++) {
    const [qg, kg, vg] = [part(q, g, 1), part(k, g, 1), part(v, g, 1)];
    const parts: tf.Tensor3D[] = [];
    if (perHead >= 1) {
      for (const [h, n] of ranges(heads, perHead)) parts.push(attention(rows(qg, h * queryLen, n * queryLen), kg, vg, maskRows(mask, 0, n * queryLen, S, n), scale));
    } else {
      // one head at a time, a block of queries at a time: the block ending at query t1 sees past + t1 keys
      const perBlock = Math.max(1, Math.floor(maxBytes / scoresBytes(1, 1)));
      for (let h = 0; h < heads; h++) {
        for (const [t0, n] of ranges(queryLen, perBlock)) {
          const keys = past + t0 + n;
          parts.push(attention(rows(qg, h * queryLen + t0, n), rows(kg, 0, keys), rows(vg, 0, keys), maskRows(mask, t0, n, keys, 1), scale));
        }
      }
    }
    outs.push(parts.length === 1 ? parts[0] : tf.concat(parts, 1));
  }
  return tf.concat(outs, 0);
}

/** [start, count] for consecutive runs of at most `per` of `n` items. */
function ranges(n: number, per: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i += per) out.push([i, Math.min(per, n - i)]);
  return out;
}

/** Groups [g, g + n) of a [G, R, d] tensor. */
function part(x: tf.Tensor3D, g: number, n: number): tf.Tensor3D {
  return tf.slice(x, [g, 0, 0], [n, -1, -1]);
}

/** Rows [r, r + n) of a one-group [1, R, d] tensor. */
function rows(x: tf.Tensor3D, r: number, n: number): tf.Tensor3D {
  return tf.slice(x, [0, r, 0], [1, n, -1]);
}

/**
 * The mask of `heads` query heads of n / heads queries each, from query t0 on, over the first `keys`
 * keys: rows [t0, t0 + n) and columns [0, keys) of a tensor mask (its rows repeat per head), or the
 * causal kernel's query length (the last of those queries sees the last of those keys).
 */
function maskRows(mask: AttentionMask, t0: number, n: number, keys: number, heads: number): AttentionMask {
  if (!(mask instanceof tf.Tensor)) return { causalQueryLen: n / heads };
  return tf.slice(mask, [t0, 0], [n, keys]);
}
