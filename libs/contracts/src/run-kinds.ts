import { z } from 'zod';
import { HyperparametersSchema } from './hyperparameters';
import { SampleFiltersSchema } from './runs';
import { JobName, QueueName, type JobOptions, JOB_OPTIONS } from './queues';

/**
 * Each run kind in one place: its job and queue, the options it is queued with, and the shapes of
 * the run's config (written by the api, read by the job), progress (written by the job, read by the
 * console and the cli) and the job's result. A new job kind is one entry here, its job in jobs/, a
 * processor in apps/worker and its create schema in runs.ts.
 */

/** What the train job reads from run.config: the request, resolved to ids the worker can load. */
export const TrainRunConfigSchema = z.looseObject({
  baseModelId: z.string(),
  datasetVersionIds: z.array(z.string()),
  /** In a pipeline: train on the version this generation run produces. */
  dataFromRunId: z.string().optional(),
  evalDatasetVersionId: z.string().optional(),
  tag: z.string().optional(),
  evalTag: z.string().optional(),
  adapterName: z.string(),
  hyperparameters: HyperparametersSchema,
});
export type TrainRunConfig = z.infer<typeof TrainRunConfigSchema>;

/** What the generate job reads from run.config. */
export const GenerateRunConfigSchema = z.looseObject({
  teacherEndpointId: z.string(),
  datasetVersionId: z.string(),
  outputDataset: z.string(),
  samples: z.number(),
  temperature: z.number(),
  topP: z.number(),
  maxTokens: z.number(),
  reasoning: z.enum(['keep', 'strip']),
  logprobs: z.number().optional(),
  seed: z.number().optional(),
  filters: SampleFiltersSchema,
});
export type GenerateRunConfig = z.infer<typeof GenerateRunConfigSchema>;

/** What the evaluate job reads from run.config. */
export const EvaluateRunConfigSchema = z.looseObject({
  baseModelId: z.string(),
  datasetVersionId: z.string(),
  tag: z.string().optional(),
  adapters: z.array(z.object({ adapterVersionId: z.string(), label: z.string().optional() })),
  /** In a pipeline: score the adapter this training run registers, labelled "candidate". */
  adapterFromRunId: z.string().optional(),
  teacherEndpointId: z.string().optional(),
  maxTokens: z.number(),
  regex: z.string().optional(),
  limit: z.number().optional(),
  /** Gate rules checked for the candidate against the production version (see libs/serving). */
  gate: z.record(z.string(), z.unknown()).optional(),
});
export type EvaluateRunConfig = z.infer<typeof EvaluateRunConfigSchema>;

/** The pipeline run's config: its steps' run ids, in order. */
export const PipelineRunConfigSchema = z.looseObject({
  steps: z.object({ generate: z.string(), train: z.string(), evaluate: z.string() }),
  /** Promote the candidate to production when the gate passes (schedules). */
  autoPromote: z.boolean().optional(),
});
export type PipelineRunConfig = z.infer<typeof PipelineRunConfigSchema>;

const EvalMetricsSchema = z.looseObject({ loss: z.number(), perplexity: z.number().optional(), tokenAccuracy: z.number().optional(), tokens: z.number().optional() });

/** run.progress of a train run: the latest step's metrics, then the final metrics once it succeeded. */
export const TrainRunProgressSchema = z.looseObject({
  step: z.number().optional(),
  totalSteps: z.number().optional(),
  loss: z.number().optional(),
  lr: z.number().optional(),
  gradNorm: z.number().optional(),
  tokensPerSec: z.number().optional(),
  etaMs: z.number().optional(),
  epoch: z.number().optional(),
  eval: EvalMetricsSchema.optional(),
  finalLoss: z.number().optional(),
  steps: z.number().optional(),
  trainExamples: z.number().optional(),
  evalExamples: z.number().optional(),
  kd: z.looseObject({ records: z.number(), aligned: z.number() }).optional(),
  adapterVersionId: z.string().optional(),
});
export type TrainRunProgress = z.infer<typeof TrainRunProgressSchema>;

/** run.progress of a generate run: prompts answered so far, then what was kept and the version made. */
export const GenerateRunProgressSchema = z.looseObject({
  answered: z.number().optional(),
  total: z.number().optional(),
  failures: z.number().optional(),
  kept: z.number().optional(),
  outputVersionId: z.string().optional(),
});
export type GenerateRunProgress = z.infer<typeof GenerateRunProgressSchema>;

/** run.progress of an evaluate run: subjects scored so far and the one being scored, then the report. */
export const EvaluateRunProgressSchema = z.looseObject({
  evaluated: z.number().optional(),
  label: z.string().optional(),
  report: z.unknown().optional(),
});
export type EvaluateRunProgress = z.infer<typeof EvaluateRunProgressSchema>;

/** run.progress of a pipeline: the last step's summary once it succeeded. */
export const PipelineRunProgressSchema = z.record(z.string(), z.unknown());

/** What a run's job returns (BullMQ keeps it as the job's return value). */
export const RunJobResultSchema = z.object({
  status: z.enum(['succeeded', 'cancelled', 'skipped', 'queued', 'running', 'failed']),
  adapterVersionId: z.string().optional(),
  versionId: z.string().optional(),
});
export type RunJobResult = z.infer<typeof RunJobResultSchema>;

export interface RunJobSpec {
  name: JobName;
  queue: QueueName;
  options: JobOptions;
}

export interface RunKindDescriptor {
  kind: string;
  /** The BullMQ job that runs it; a pipeline has none (its steps are a flow of the other kinds). */
  job?: RunJobSpec;
  config: z.ZodType;
  progress: z.ZodType;
  result: z.ZodType;
}

const jobOf = (name: JobName, queue: QueueName): RunJobSpec => ({ name, queue, options: JOB_OPTIONS[name] });

export const RUN_KIND = {
  generate: { kind: 'generate', job: jobOf(JobName.generate, QueueName.generate), config: GenerateRunConfigSchema, progress: GenerateRunProgressSchema, result: RunJobResultSchema },
  train: { kind: 'train', job: jobOf(JobName.train, QueueName.train), config: TrainRunConfigSchema, progress: TrainRunProgressSchema, result: RunJobResultSchema },
  evaluate: { kind: 'evaluate', job: jobOf(JobName.evaluate, QueueName.evaluate), config: EvaluateRunConfigSchema, progress: EvaluateRunProgressSchema, result: RunJobResultSchema },
  pipeline: { kind: 'pipeline', config: PipelineRunConfigSchema, progress: PipelineRunProgressSchema, result: RunJobResultSchema },
} as const satisfies Record<string, RunKindDescriptor>;

export type RunKind = keyof typeof RUN_KIND;
/** The run kinds that are one job each (a pipeline is a flow of them), in the order a pipeline runs them. */
export type JobRunKind = 'generate' | 'train' | 'evaluate';
export const JOB_RUN_KINDS: readonly JobRunKind[] = ['generate', 'train', 'evaluate'];

/** The job of a run kind that has one; throws for a pipeline. */
export function runKindJob(kind: string): RunJobSpec {
  const job = (RUN_KIND as Record<string, RunKindDescriptor>)[kind]?.job;
  if (!job) throw new Error(`runs of kind ${kind} have no queue`);
  return job;
}

export type RunConfigOf<K extends RunKind> = z.infer<(typeof RUN_KIND)[K]['config']>;
export type RunProgressOf<K extends RunKind> = z.infer<(typeof RUN_KIND)[K]['progress']>;

/** A run's stored config, checked against its kind's schema (a run written by an older api included). */
export function parseRunConfig<K extends RunKind>(kind: K, config: unknown): RunConfigOf<K> {
  return RUN_KIND[kind].config.parse(config) as RunConfigOf<K>;
}

/** The kinds a run can be, in the order the console lists them. */
export const RUN_KINDS = Object.keys(RUN_KIND) as [RunKind, ...RunKind[]];
