/**
 * The model spec: what the model families are made of, free of tfjs. Families and their traits,
 * a config's shape, the projections of a layer and their shapes, LoRA target modules, checkpoint
 * tensors, parameter and byte counts. Adding a family touches families.ts and the engine's forward.
 */
export { FAMILIES, FAMILY_TRAITS, ARCHITECTURES, isFamily, familyOfArchitecture, familyOfConfig, familyTraits, attentionBiases } from './families';
export type { Family, FamilyTraits } from './families';
export { readModelDims, kvHeads } from './dims';
export type { ModelDims, ReadNumber } from './dims';
export { PROJECTIONS, moduleName, projectionShape, projectionHasBias } from './projections';
export type { Projection } from './projections';
export { ALL_LINEAR, expandAllLinear, targetProjections } from './targets';
export { expectedWeights, parameterCounts } from './weights';
export { F32_BYTES, BF16_BYTES, NF4_BLOCKSIZE, NF4_NESTED_BLOCKSIZE, nf4WeightBytes, BNB_NF4_BYTES_PER_PARAM } from './bytes';
