/** The seven linear projections of a decoder layer: names, module paths, shapes and biases. */
import type { ModelDims } from './dims';

export const PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type Projection = (typeof PROJECTIONS)[number];

const ATTENTION: readonly Projection[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];
const QKV: readonly Projection[] = ['q_proj', 'k_proj', 'v_proj'];

/** Hugging Face module path, e.g. `model.layers.0.self_attn.q_proj`. */
export function moduleName(layer: number, proj: Projection): string {
  return `model.layers.${layer}.${ATTENTION.includes(proj) ? 'self_attn' : 'mlp'}.${proj}`;
}

/** [in, out] of a projection (its Hugging Face weight is [out, in]). */
export function projectionShape(c: ModelDims, proj: Projection): [number, number] {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  switch (proj) {
    case 'q_proj':
      return [c.hiddenSize, q];
    case 'k_proj':
    case 'v_proj':
      return [c.hiddenSize, kv];
    case 'o_proj':
      return [q, c.hiddenSize];
    case 'gate_proj':
    case 'up_proj':
      return [c.hiddenSize, c.intermediateSize];
    case 'down_proj':
      return [c.intermediateSize, c.hiddenSize];
  }
}

export function projectionHasBias(c: ModelDims, proj: Projection): boolean {
  return proj === 'o_proj' ? c.oBias : QKV.includes(proj) && c.qkvBias;
}
