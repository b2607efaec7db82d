/**
 * @retort/serving — pushing adapters to serving targets that speak vLLM's runtime LoRA API (vLLM,
 * retort serve): the client, the promotion procedure with its rollback, and the promotion gate over
 * evaluation metrics. Pure client logic: no Nest, no database, no artifact store.
 */
export {
  createServingClient,
  normalizeServingUrl,
  SERVING_DEFAULTS,
  type LoadAdapterOptions,
  type ServedModel,
  type ServingClient,
  type ServingClientConfig,
  type SmokeTestOptions,
  type SmokeTestResult,
} from './client';
export { ServingError, isAlreadyLoadedError, isNotLoadedError, serverMessageOf, type ServingErrorKind } from './errors';
export {
  promoteAdapter,
  rollbackAdapter,
  PromotionError,
  type AdapterVersionRef,
  type PromotionAction,
  type PromotionLog,
  type PromotionOptions,
  type PromotionRequest,
  type PromotionResult,
  type PromotionStage,
  type PromotionStep,
  type ProductionState,
  type RollbackRequest,
} from './promote';
export {
  evaluateGate,
  NO_PRODUCTION,
  SCORE_METRICS,
  type EvalMetrics,
  type EvalScores,
  type GateCheck,
  type GateResult,
  type GateRules,
  type ScoreMetric,
  type ScoreRule,
} from './gate';
export { toServerPath, type PathMapping } from './paths';
export { servingClientFor, type EndpointKind } from './targets';
