import { z } from 'zod';
import { jsonObject, serialId, timestamp } from './fields';

const stage = z.enum(['staging', 'production']);

/** An adapter with its base model's name, its newest version and the version each stage points at. */
export const AdapterResponseSchema = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  baseModelId: z.uuid(),
  createdAt: timestamp,
  baseModel: z.string().nullable(),
  latestVersion: z.number().int().nullable(),
  stages: z.record(z.string(), z.number().int()),
});

/** Immutable: a trained PEFT adapter with its lineage. */
export const AdapterVersionResponseSchema = z.strictObject({
  id: z.uuid(),
  adapterId: z.uuid(),
  version: z.number().int(),
  artifactPrefix: z.string(),
  /** sha256 of adapter_model.safetensors. */
  sha256: z.string(),
  config: jsonObject,
  metrics: jsonObject,
  lineage: jsonObject,
  runId: z.uuid().nullable(),
  /** The gate's verdict against production when this version was evaluated. */
  gate: jsonObject.nullable(),
  createdAt: timestamp,
});

const StageHistoryResponseSchema = z.strictObject({
  id: serialId,
  adapterId: z.uuid(),
  stage,
  fromVersionId: z.uuid().nullable(),
  toVersionId: z.uuid().nullable(),
  action: z.enum(['promote', 'rollback', 'failed']),
  actor: z.string(),
  detail: jsonObject,
  at: timestamp,
});

const DeploymentResponseSchema = z.strictObject({
  id: z.uuid(),
  versionId: z.uuid(),
  version: z.number().int(),
  endpointId: z.uuid(),
  endpoint: z.string(),
  stage,
  servedAs: z.string(),
  status: z.enum(['loading', 'serving', 'failed', 'unloaded']),
  error: z.string().nullable(),
  /** The promotion steps on that endpoint (libs/serving's PromotionStep). */
  log: z.array(jsonObject),
  updatedAt: timestamp,
  createdAt: timestamp,
});

/** One adapter: its versions (newest first), the last 100 stage changes and deployments. */
export const AdapterDetailResponseSchema = AdapterResponseSchema.extend({
  versions: z.array(AdapterVersionResponseSchema),
  history: z.array(StageHistoryResponseSchema),
  deployments: z.array(DeploymentResponseSchema),
});

/** Two versions' metrics side by side, flattened to dotted names; delta is b − a. */
export const AdapterComparisonResponseSchema = z.strictObject({
  a: AdapterVersionResponseSchema,
  b: AdapterVersionResponseSchema,
  metrics: z.array(z.strictObject({ metric: z.string(), a: z.number().nullable(), b: z.number().nullable(), delta: z.number().nullable() })),
});

/** A promotion or rollback that every endpoint took, with each endpoint's steps. */
export const StageChangeResponseSchema = z.strictObject({
  adapter: z.string(),
  stage,
  version: z.number().int(),
  previous: z.number().int().nullable(),
  servedAs: z.string(),
  endpoints: z.array(z.strictObject({ endpoint: z.string(), steps: z.array(jsonObject).optional() })),
});
