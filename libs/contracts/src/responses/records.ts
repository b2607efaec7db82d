import { z } from 'zod';
import { RECORD_STATUSES } from '../curation';
import { jsonObject, serialId } from './fields';

export const RecordResponseSchema = z.strictObject({
  id: serialId,
  versionId: z.uuid(),
  idx: z.number().int(),
  messages: z.array(z.object({ role: z.string(), content: z.string(), weight: z.union([z.literal(0), z.literal(1)]).optional() })),
  meta: jsonObject,
  tags: z.array(z.string()),
  status: z.enum(RECORD_STATUSES),
  contentHash: z.string(),
  chars: z.number().int(),
  tokenCount: z.number().int().nullable(),
  edited: z.boolean(),
});

/** How many records a bulk action changed. */
export const UpdatedCountResponseSchema = z.strictObject({ updated: z.number().int() });

export const SplitResponseSchema = z.strictObject({ train: z.number().int(), eval: z.number().int() });

/** The queued analysis: its request id and the version's analysis state so far. */
export const AnalyzeResponseSchema = z.strictObject({ requestId: z.string(), analysis: jsonObject });
