/**
 * @retort/teacher — the client a distillation run uses to ask a teacher model (vLLM, SGLang, TGI,
 * Ollama, DeepSeek API, retort serve: any OpenAI-compatible chat completions endpoint) for answers,
 * and the pure logic around those answers (reasoning split, training targets, sample filters).
 */
export type {
  BackoffConfig,
  CompleteOptions,
  ConnectionTestResult,
  FinishReason,
  TeacherClient,
  TeacherClientConfig,
  TeacherMessage,
  TeacherObserver,
  TeacherRequest,
  TeacherResult,
  TeacherRole,
  TeacherSample,
  TeacherStats,
  TeacherUsage,
  TokenLogprob,
  TopLogprob,
} from './types';
export { createTeacherClient, estimateTokens, normalizeBaseUrl, validateRequest, MAX_TOP_LOGPROBS, TEACHER_DEFAULTS } from './client';
export { TeacherError, isAbortError, retryableStatus, serverMessageOf, type TeacherErrorKind } from './errors';
export { splitReasoning, buildTarget, type ReasoningMessage, type ReasoningPolicy, type SplitReasoning } from './reasoning';
export { filterSamples, type SampleFilterOptions, type Verifier, type DropReason, type DroppedSample, type FilterResult } from './filters';
export { runPrompts, type PromptItem, type RunPromptsOptions, type RunPromptsSummary } from './run-prompts';
export { Semaphore, TokenBucket, RateLimiter, backoffDelay, parseRetryAfter, seededRandom, sleep } from './schedule';
