import { z } from 'zod';

export const CreateDatasetSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit'),
  description: z.string().max(2000).optional().default(''),
});
export type CreateDatasetDto = z.infer<typeof CreateDatasetSchema>;

export const DATASET_VERSION_STATUSES = ['processing', 'ready', 'failed'] as const;
export type DatasetVersionStatus = (typeof DATASET_VERSION_STATUSES)[number];

export interface DatasetVersionStats {
  records: number;
  turns: number;
  messages: number;
  roles: Record<string, number>;
  chars: { min: number; max: number; mean: number };
}

/** Query parameters of an upload: the file's format, what it is for, and a token limit. */
export const UploadQuerySchema = z
  .object({
    format: z.enum(['auto', 'chat', 'alpaca', 'sharegpt', 'prompt']).default('auto'),
    purpose: z.enum(['train', 'prompts']).optional(),
    maxTokens: z.coerce.number().int().min(1).optional(),
    /** A registered base model (name or id) whose tokenizer counts tokens for maxTokens and the stats. */
    model: z.string().min(1).optional(),
    filename: z.string().max(255).optional(),
  })
  .strict();
export type UploadQuery = z.infer<typeof UploadQuerySchema>;

export const RegisterModelSchema = z
  .object({
    name: z.string().min(1).max(100).regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit'),
    path: z.string().min(1),
  })
  .strict();
export type RegisterModelDto = z.infer<typeof RegisterModelSchema>;
