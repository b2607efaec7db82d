/**
 * The memory planner, free of tfjs (and of every other engine module), so that the API can use it
 * to refuse a run that no worker pool can hold. Meant to move to a tfjs-free lib as is.
 */
export { planMemory, fitPools, countParams, resolveConfig, nf4WeightBytes, formatBytes, WASM_MAX_BYTES } from './plan';
export { DISTILL_CONFIGS, NAMED_SIZES, isNamedSize } from './sizes';
export type { NamedSize } from './sizes';
export type { MemoryPlan, ModelConfigLike, PlanBackend, PlanInput, PlanMethod, PlanTask, PoolFit, WorkerPool } from './types';
