import { z } from 'zod';

/** Queue names, job names and payload types are defined here once for api, worker and cli. */
export const QueueName = {
  datasets: 'datasets',
  train: 'train',
  generate: 'generate',
  evaluate: 'evaluate',
  /** Consumed by the api processes: schedule ticks and promotions. */
  schedules: 'schedules',
  registry: 'registry',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/** The queues worker processes consume (the api consumes schedules and registry). */
export const WORKER_QUEUES: QueueName[] = [QueueName.datasets, QueueName.generate, QueueName.train, QueueName.evaluate];

/** BullMQ flow producers (flows span several queues). */
export const FlowName = { pipelines: 'pipelines' } as const;

export const JobName = {
  datasetImport: 'dataset.import',
  datasetAnalyze: 'dataset.analyze',
  train: 'run.train',
  generate: 'run.generate',
  evaluate: 'run.evaluate',
  scheduleFire: 'schedule.fire',
  autoPromote: 'adapter.auto-promote',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

export const DatasetImportPayloadSchema = z.object({ versionId: z.string().uuid() });
export type DatasetImportPayload = z.infer<typeof DatasetImportPayloadSchema>;

export const DatasetAnalyzePayloadSchema = z.object({
  versionId: z.string().uuid(),
  /** Distinguishes analyses of the same version with different settings. */
  requestId: z.string().min(1).max(64),
  dedup: z.object({ threshold: z.number() }).optional(),
  pii: z.boolean().optional(),
});
export type DatasetAnalyzePayload = z.infer<typeof DatasetAnalyzePayloadSchema>;

export const RunPayloadSchema = z.object({ runId: z.string().uuid() });
export type RunPayload = z.infer<typeof RunPayloadSchema>;

export const ScheduleFirePayloadSchema = z.object({ scheduleId: z.string().uuid(), manual: z.boolean().optional() });
export type ScheduleFirePayload = z.infer<typeof ScheduleFirePayloadSchema>;
export const AutoPromotePayloadSchema = z.object({ pipelineRunId: z.string().uuid(), adapterVersionId: z.string().uuid() });
export type AutoPromotePayload = z.infer<typeof AutoPromotePayloadSchema>;

export interface JobPayloads {
  [JobName.datasetImport]: DatasetImportPayload;
  [JobName.datasetAnalyze]: DatasetAnalyzePayload;
  [JobName.train]: RunPayload;
  [JobName.generate]: RunPayload;
  [JobName.evaluate]: RunPayload;
  [JobName.scheduleFire]: ScheduleFirePayload;
  [JobName.autoPromote]: AutoPromotePayload;
}

export const JOB_QUEUE: { [J in JobName]: QueueName } = {
  [JobName.datasetImport]: QueueName.datasets,
  [JobName.datasetAnalyze]: QueueName.datasets,
  [JobName.train]: QueueName.train,
  [JobName.generate]: QueueName.generate,
  [JobName.evaluate]: QueueName.evaluate,
  [JobName.scheduleFire]: QueueName.schedules,
  [JobName.autoPromote]: QueueName.registry,
};

export const JOB_PAYLOAD_SCHEMA: { [J in JobName]: z.ZodType<JobPayloads[J]> } = {
  [JobName.datasetImport]: DatasetImportPayloadSchema,
  [JobName.datasetAnalyze]: DatasetAnalyzePayloadSchema,
  [JobName.train]: RunPayloadSchema,
  [JobName.generate]: RunPayloadSchema,
  [JobName.evaluate]: RunPayloadSchema,
  [JobName.scheduleFire]: ScheduleFirePayloadSchema,
  [JobName.autoPromote]: AutoPromotePayloadSchema,
};

/**
 * Deterministic job ids make enqueueing idempotent: BullMQ ignores a second add with the same id
 * while the first job is still known. BullMQ forbids ':' in custom ids, hence the dashes.
 */
export function jobId<J extends JobName>(name: J, payload: JobPayloads[J]): string {
  switch (name) {
    case JobName.datasetImport:
      return `${name.replace('.', '-')}-${(payload as DatasetImportPayload).versionId}`;
    case JobName.datasetAnalyze: {
      const p = payload as DatasetAnalyzePayload;
      return `${name.replace('.', '-')}-${p.versionId}-${p.requestId}`;
    }
    case JobName.train:
    case JobName.generate:
    case JobName.evaluate:
      return `${name.replace('.', '-')}-${(payload as RunPayload).runId}`;
    case JobName.autoPromote:
      return `${name.replace(/\./g, '-')}-${(payload as AutoPromotePayload).pipelineRunId}`;
    default:
      throw new Error(`no job id rule for ${name as string}`);
  }
}

/** How a job is retried and kept, by job name (flows set these on every node: queue defaults do not apply). */
export interface JobOptions {
  attempts?: number;
  backoff?: { type: 'exponential' | 'fixed'; delay: number };
  removeOnComplete: number;
  removeOnFail: number;
}

const KEEP = { removeOnComplete: 1000, removeOnFail: 1000 };
const RUN_RETRIES = { attempts: 3, backoff: { type: 'exponential' as const, delay: 5000 } };

export const JOB_OPTIONS: { [J in JobName]: JobOptions } = {
  [JobName.datasetImport]: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, ...KEEP },
  [JobName.datasetAnalyze]: { attempts: 2, ...KEEP },
  [JobName.train]: { ...RUN_RETRIES, ...KEEP },
  [JobName.generate]: { ...RUN_RETRIES, ...KEEP },
  [JobName.evaluate]: { ...RUN_RETRIES, ...KEEP },
  [JobName.scheduleFire]: { ...KEEP },
  [JobName.autoPromote]: { ...RUN_RETRIES, ...KEEP },
};

/** The options to add a job with: its kind's retries and retention, and its deterministic id. */
export function jobOptions<J extends JobName>(name: J, payload: JobPayloads[J]): JobOptions & { jobId: string } {
  return { ...JOB_OPTIONS[name], jobId: jobId(name, payload) };
}
