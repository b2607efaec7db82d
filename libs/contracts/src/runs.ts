import { z } from 'zod';

export const RUN_KINDS = ['generate', 'train', 'evaluate', 'pipeline'] as const;
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatusName = (typeof RUN_STATUSES)[number];

const name = z.string().min(1).max(100).regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');

/** Training hyperparameters (the engine's TrainConfig, with the defaults a user would expect). */
export const HyperparametersSchema = z
  .object({
    method: z.enum(['lora', 'qlora']).default('lora'),
    rank: z.number().int().min(1).max(256).default(8),
    alpha: z.number().positive().default(16),
    dropout: z.number().min(0).max(0.9).default(0),
    targetModules: z.union([z.literal('all-linear'), z.array(z.string()).min(1)]).default('all-linear'),
    rslora: z.boolean().default(false),
    steps: z.number().int().min(1).max(1_000_000).default(100),
    batchSize: z.number().int().min(1).max(1024).default(8),
    gradAccum: z.number().int().min(1).max(1024).default(1),
    lr: z.number().positive().max(1).default(2e-4),
    warmupSteps: z.number().int().min(0).default(10),
    schedule: z.enum(['cosine', 'linear', 'constant']).default('cosine'),
    weightDecay: z.number().min(0).default(0),
    maxGradNorm: z.number().min(0).default(1),
    maxSeqLen: z.number().int().min(8).max(131072).default(1024),
    trainOnInputs: z.boolean().default(false),
    seed: z.number().int().default(0),
    evalEvery: z.number().int().min(0).default(0),
    saveEvery: z.number().int().min(0).default(50),
    evalFraction: z.number().min(0).max(0.5).default(0),
    /** Recompute each layer in the backward pass: activations stop growing with depth (~1.4x time). */
    gradientCheckpointing: z.boolean().default(false),
    /** Token-level KD where the data carries teacher top-k logprobs that match the student's tokenizer: weight of the distillation term. */
    kdAlpha: z.number().min(0).max(1).default(0.5),
    /** Temperature of the token-level KD term. */
    kdTemperature: z.number().positive().max(100).default(1),
  })
  .strict();
export type Hyperparameters = z.infer<typeof HyperparametersSchema>;

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
    hyperparameters: HyperparametersSchema.default(HyperparametersSchema.parse({})),
  })
  .strict();
export type CreateTrainRunDto = z.infer<typeof CreateTrainRunSchema>;

export const SampleFiltersSchema = z
  .object({
    dropLength: z.boolean().default(true),
    dropEmpty: z.boolean().default(true),
    dropDuplicates: z.boolean().default(true),
    /** Keep only answers matching this pattern. */
    regex: z.string().optional(),
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
    maxTokens: z.number().int().min(1).max(131072).default(1024),
    /** keep: the target holds the <think> block and the answer; strip: the answer only. */
    reasoning: z.enum(['keep', 'strip']).default('strip'),
    /** Top-k logprobs per token kept as artifacts (for token-level KD). */
    logprobs: z.number().int().min(0).max(20).optional(),
    seed: z.number().int().optional(),
    filters: SampleFiltersSchema.default(SampleFiltersSchema.parse({})),
  })
  .strict();
export type CreateGenerateRunDto = z.infer<typeof CreateGenerateRunSchema>;

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
    regex: z.string().optional(),
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
    hyperparameters: HyperparametersSchema.default(HyperparametersSchema.parse({})),
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

/** What the train job reads from run.config: the request, resolved to ids the worker can load. */
export interface TrainRunConfig {
  baseModelId: string;
  datasetVersionIds: string[];
  /** In a pipeline: train on the version this generation run produces. */
  dataFromRunId?: string;
  evalDatasetVersionId?: string;
  tag?: string;
  evalTag?: string;
  adapterName: string;
  hyperparameters: Hyperparameters;
}

/** What the generate job reads from run.config. */
export interface GenerateRunConfig {
  teacherEndpointId: string;
  datasetVersionId: string;
  outputDataset: string;
  samples: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  reasoning: 'keep' | 'strip';
  logprobs?: number;
  seed?: number;
  filters: z.infer<typeof SampleFiltersSchema>;
}

/** What the evaluate job reads from run.config. */
export interface EvaluateRunConfig {
  baseModelId: string;
  datasetVersionId: string;
  tag?: string;
  adapters: { adapterVersionId: string; label?: string }[];
  /** In a pipeline: score the adapter this training run registers, labelled "candidate". */
  adapterFromRunId?: string;
  teacherEndpointId?: string;
  maxTokens: number;
  regex?: string;
  limit?: number;
  /** Gate rules checked for the candidate against the production version (see libs/serving). */
  gate?: Record<string, unknown>;
}

/** The pipeline run's config: its steps' run ids, in order. */
export interface PipelineRunConfig {
  steps: { generate: string; train: string; evaluate: string };
  /** Promote the candidate to production when the gate passes (schedules). */
  autoPromote?: boolean;
}

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
