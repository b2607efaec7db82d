import { z } from 'zod';
import { HYPERPARAMETER_DEFAULTS, HyperparametersSchema } from './hyperparameters';
import { regexString } from './pattern';

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatusName = (typeof RUN_STATUSES)[number];
/** A run in one of these states is over: it changes only when retried. */
export const FINISHED_RUN_STATUSES: readonly RunStatusName[] = ['succeeded', 'failed', 'cancelled'];
export const isFinishedRun = (status: string | undefined): boolean => !!status && (FINISHED_RUN_STATUSES as readonly string[]).includes(status);

const name = z.string().min(1).max(100).regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');


export const CreateTrainRunSchema = z
  .object({
    kind: z.literal('train'),
    baseModel: z.string().min(1),
    datasetVersions: z.array(z.string().uuid()).min(1),
    evalDatasetVersion: z.string().uuid().optional(),
    /** Records carrying this tag only (e.g. "split:train"); the eval set may use "split:eval". */
    tag: z.string().optional(),
    evalTag: z.string().optional(),
    adapter: name,
    hyperparameters: HyperparametersSchema.default(HYPERPARAMETER_DEFAULTS),
  })
  .strict();
export type CreateTrainRunDto = z.infer<typeof CreateTrainRunSchema>;

export const SampleFiltersSchema = z
  .object({
    dropLength: z.boolean().default(true),
    dropEmpty: z.boolean().default(true),
    dropDuplicates: z.boolean().default(true),
    /** Keep only answers matching this pattern. */
    regex: regexString.optional(),
    /** Compare with each record's reference answer (its last assistant turn, or meta.reference). */
    verifier: z.enum(['exact', 'contains', 'regex']).optional(),
  })
  .strict();

export const CreateGenerateRunSchema = z
  .object({
    kind: z.literal('generate'),
    /** Endpoint (name or id) of purpose teacher. */
    teacher: z.string().min(1),
    /** The prompt set: each record's messages up to its last user turn are sent. */
    datasetVersion: z.string().uuid(),
    /** Data set that receives the synthetic version (created when missing). */
    outputDataset: name,
    samples: z.number().int().min(1).max(16).default(1),
    temperature: z.number().min(0).max(2).default(0.7),
    topP: z.number().gt(0).max(1).default(1),
    /** Omitted: teacherMaxTokensDefault of the teacher's context. */
    maxTokens: z.number().int().min(1).max(131072).optional(),
    /** keep: the target holds the <think> block and the answer; strip: the answer only. */
    reasoning: z.enum(['keep', 'strip']).default('strip'),
    /** Top-k logprobs per token kept as artifacts (for token-level KD). */
    logprobs: z.number().int().min(0).max(20).optional(),
    seed: z.number().int().optional(),
    filters: SampleFiltersSchema.default(SampleFiltersSchema.parse({})),
  })
  .strict();
export type CreateGenerateRunDto = z.infer<typeof CreateGenerateRunSchema>;

export const DEFAULT_TEACHER_MAX_TOKENS = 1024;

/**
 * The teacher's answer budget when a run does not set one: 1024 tokens, or half the teacher's
 * context (as its endpoint reports it) when that is shorter, leaving the other half for the prompt.
 */
export function teacherMaxTokensDefault(context: number | undefined): number {
  return context === undefined ? DEFAULT_TEACHER_MAX_TOKENS : Math.max(1, Math.min(DEFAULT_TEACHER_MAX_TOKENS, Math.floor(context / 2)));
}

export const CreateEvaluateRunSchema = z
  .object({
    kind: z.literal('evaluate'),
    baseModel: z.string().min(1),
    /** Held-out records: each prompt's reference is its last assistant turn (or meta.reference). */
    datasetVersion: z.string().uuid(),
    tag: z.string().optional(),
    /** Adapter versions to score beside the base, as "name@version" or a version id. */
    adapters: z.array(z.string().min(1)).max(8).default([]),
    /** Also ask this teacher endpoint (name or id) and score its answers. */
    teacher: z.string().optional(),
    maxTokens: z.number().int().min(1).max(4096).default(64),
    /** Also report the share of answers matching this pattern. */
    regex: regexString.optional(),
    limit: z.number().int().min(1).max(100000).optional(),
  })
  .strict();
export type CreateEvaluateRunDto = z.infer<typeof CreateEvaluateRunSchema>;

const ruleMetric = z.enum(['exact', 'contains', 'rougeL', 'jsonValid', 'regex']);

/** Promotion gate over evaluation metrics, against the version in production. */
export const GateRulesSchema = z
  .object({
    minLossImprovementPct: z.number().min(0).max(100).optional(),
    minScore: z.object({ metric: ruleMetric, atLeastProduction: z.boolean().default(true), min: z.number().min(0).max(1).optional() }).strict().optional(),
    maxRegressionPct: z.number().min(0).max(100).optional(),
    requireProduction: z.boolean().optional(),
  })
  .strict();
export type GateRulesDto = z.infer<typeof GateRulesSchema>;

/** Distillation as one run: teacher generation → training → evaluation, as a BullMQ flow. */
export const CreatePipelineRunSchema = z
  .object({
    kind: z.literal('pipeline'),
    teacher: z.string().min(1),
    /** The prompt set the teacher answers. */
    prompts: z.string().uuid(),
    student: z.string().min(1),
    adapter: name,
    /** Receives the synthetic version (default "<adapter>-synthetic"). */
    outputDataset: name.optional(),
    /** Held-out set with reference answers. */
    evalDatasetVersion: z.string().uuid(),
    generate: CreateGenerateRunSchema.pick({ samples: true, temperature: true, topP: true, maxTokens: true, reasoning: true, logprobs: true, seed: true, filters: true }).partial().default({}),
    hyperparameters: HyperparametersSchema.default(HYPERPARAMETER_DEFAULTS),
    evaluate: CreateEvaluateRunSchema.pick({ maxTokens: true, regex: true, limit: true }).partial().default({}),
    /** Score the teacher's answers on the held-out set too. */
    evaluateTeacher: z.boolean().default(true),
    /** Checked for the candidate against the production version when the evaluation is done. */
    gate: GateRulesSchema.optional(),
    /** Promote the candidate to production when the gate passes. */
    autoPromote: z.boolean().default(false),
  })
  .strict();
export type CreatePipelineRunDto = z.infer<typeof CreatePipelineRunSchema>;

export const CreateRunSchema = z.discriminatedUnion('kind', [CreateTrainRunSchema, CreateGenerateRunSchema, CreateEvaluateRunSchema, CreatePipelineRunSchema]);
export type CreateRunDto = z.infer<typeof CreateRunSchema>;

export const PromoteSchema = z
  .object({
    version: z.number().int().min(1),
    stage: z.enum(['staging', 'production']).default('production'),
    /** Serving endpoints (names or ids); default every endpoint of purpose serving. */
    endpoints: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type PromoteDto = z.infer<typeof PromoteSchema>;

export const RollbackSchema = z.object({ stage: z.enum(['staging', 'production']).default('production'), endpoints: z.array(z.string().min(1)).optional() }).strict();
export type RollbackDto = z.infer<typeof RollbackSchema>;
