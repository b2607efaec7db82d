/**
 * The model spec and the memory planner, free of tfjs (and of every other engine module), so that
 * the api can refuse a run that no worker pool can hold and the console can show a model's shape.
 *
 * The model spec (families.ts, dims.ts, projections.ts, targets.ts, weights.ts, bytes.ts; its public
 * API in spec.ts) is the one home of what the families are made of: the engine, the planner, the
 * api, the CLI and the console read it from here. It shares this folder with the planner (plan.ts,
 * sizes.ts, types.ts) because the planner imports nothing but the files of its own folder.
 */
export * from './spec';
export { planMemory, fitPools, fitPoolsFor, countParams, resolveConfig, formatBytes, WASM_MAX_BYTES } from './plan';
export { bindingRefusal, largestTensor } from './binding';
export { WIDENED_BLOCK_BYTES } from './bytes';
export type { LargestTensor } from './binding';
export { DISTILL_CONFIGS, NAMED_SIZES, isNamedSize } from './sizes';
export type { NamedSize } from './sizes';
export type { MemoryPlan, ModelConfigLike, PlanBackend, PlanInput, PlanMethod, PlanTask, PoolFit, WorkerPool } from './types';
