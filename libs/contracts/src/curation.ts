import { z } from 'zod';
import { isBigintId } from './ids';

export const RECORD_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];

const tag = z.string().min(1).max(64).regex(/^[^\s,]+$/, 'tags have no spaces or commas');

/** Which records of a version an action applies to (also the records list's filter). */
export const RecordFilterSchema = z
  .object({
    id: z.array(z.union([z.string().refine(isBigintId, 'record ids are whole numbers within bigint'), z.number().int().min(0)]).transform(String)).optional(),
    status: z.enum(RECORD_STATUSES).optional(),
    tag: z.string().optional(),
    q: z.string().max(500).optional(),
    minChars: z.number().int().min(0).optional(),
    maxChars: z.number().int().min(0).optional(),
    edited: z.boolean().optional(),
  })
  .strict();
export type RecordFilter = z.infer<typeof RecordFilterSchema>;

const MessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().refine((s) => s.trim().length > 0, 'content is empty'),
  weight: z.union([z.literal(0), z.literal(1)]).optional(),
});

export const UpdateRecordSchema = z
  .object({
    status: z.enum(RECORD_STATUSES).optional(),
    tags: z.array(tag).max(50).optional(),
    messages: z.array(MessageSchema).min(1).optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'give at least one of status, tags, messages');
export type UpdateRecordDto = z.infer<typeof UpdateRecordSchema>;

export const BulkRecordsSchema = z
  .object({
    filter: RecordFilterSchema.default({}),
    status: z.enum(RECORD_STATUSES).optional(),
    addTags: z.array(tag).max(50).optional(),
    removeTags: z.array(tag).max(50).optional(),
  })
  .strict()
  .refine((v) => v.status || v.addTags?.length || v.removeTags?.length, 'give status, addTags or removeTags');
export type BulkRecordsDto = z.infer<typeof BulkRecordsSchema>;

export const SplitSchema = z
  .object({
    evalFraction: z.number().gt(0).lt(1),
    seed: z.number().int().default(0),
    stratifyBy: z.literal('tag').optional(),
  })
  .strict();
export type SplitDto = z.infer<typeof SplitSchema>;

export const AnalyzeSchema = z
  .object({
    dedup: z.object({ threshold: z.number().gt(0).max(1).default(0.8) }).strict().optional(),
    pii: z.boolean().optional(),
  })
  .strict()
  .refine((v) => v.dedup || v.pii, 'give dedup and/or pii');
export type AnalyzeDto = z.infer<typeof AnalyzeSchema>;

/** A new version from a curated one: every record not rejected (or only the accepted ones). */
export const CommitCurationSchema = z
  .object({
    from: z.string().uuid(),
    include: z.enum(['not-rejected', 'accepted']).default('not-rejected'),
    /** Only records carrying this tag, e.g. "split:train". */
    tag: z.string().optional(),
  })
  .strict();
export type CommitCurationDto = z.infer<typeof CommitCurationSchema>;
