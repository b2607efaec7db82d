import { z } from 'zod';
import { DATASET_VERSION_STATUSES } from '../datasets';
import { jsonObject, timestamp } from './fields';

export const DatasetResponseSchema = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** Counts of the version's canonical JSONL; the import may add more (tags, duplicates, tokens). */
const DatasetVersionStatsSchema = z.looseObject({
  records: z.number().int(),
  turns: z.number().int(),
  messages: z.number().int(),
  roles: z.record(z.string(), z.number().int()),
  chars: z.object({ min: z.number(), max: z.number(), mean: z.number() }),
});

export const DatasetVersionResponseSchema = z.strictObject({
  id: z.uuid(),
  datasetId: z.uuid(),
  version: z.number().int(),
  status: z.enum(DATASET_VERSION_STATUSES),
  artifactKey: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  records: z.number().int().nullable(),
  stats: DatasetVersionStatsSchema.nullable(),
  /** Where the version came from: {source: upload, filename?} | {source: curation, from, ops} | {source: generation, runId}. */
  lineage: z.looseObject({ source: z.enum(['upload', 'curation', 'generation']) }),
  format: z.string().nullable(),
  purpose: z.enum(['train', 'prompts']).nullable(),
  /** The last dedup / PII analyses, by kind. */
  analysis: jsonObject,
  tokenizerModelId: z.uuid().nullable(),
  error: z.string().nullable(),
  createdAt: timestamp,
  readyAt: timestamp.nullable(),
});

/** A data set in the list: with its newest version. */
export const DatasetSummaryResponseSchema = DatasetResponseSchema.extend({ latestVersion: DatasetVersionResponseSchema.nullable() });

/** One data set: with every version, newest first. */
export const DatasetDetailResponseSchema = DatasetSummaryResponseSchema.extend({ versions: z.array(DatasetVersionResponseSchema) });
