import { z } from 'zod';
import { RUN_KINDS } from '../run-kinds';
import { RUN_STATUSES } from '../runs';
import { jsonObject, serialId, timestamp } from './fields';

export const RunResponseSchema = z.strictObject({
  id: z.uuid(),
  kind: z.enum(RUN_KINDS),
  /** The pipeline run this step belongs to. */
  parentId: z.uuid().nullable(),
  status: z.enum(RUN_STATUSES),
  /** The request resolved to ids (TrainRunConfig, GenerateRunConfig, …, by kind). */
  config: jsonObject,
  progress: jsonObject,
  error: z.string().nullable(),
  worker: z.string().nullable(),
  scheduleId: z.uuid().nullable(),
  createdAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
});

export const RunEventResponseSchema = z.strictObject({
  id: serialId,
  runId: z.uuid(),
  at: timestamp,
  level: z.enum(['debug', 'info', 'warn', 'error']),
  /** "metrics" events carry the loss curve. */
  type: z.enum(['message', 'metrics']),
  data: jsonObject,
});

export const CheckpointResponseSchema = z.strictObject({
  id: z.uuid(),
  runId: z.uuid(),
  step: z.number().int(),
  artifactPrefix: z.string(),
  metrics: jsonObject,
  createdAt: timestamp,
});
