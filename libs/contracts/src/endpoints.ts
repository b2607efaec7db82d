import { z } from 'zod';

const url = z.string().refine((v) => {
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

export const CreateEndpointSchema = z
  .object({
    name: z.string().min(1).max(100).regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit'),
    purpose: z.enum(['teacher', 'serving']),
    kind: z.enum(['openai', 'vllm', 'retort']).default('openai'),
    /** The OpenAI-compatible root, e.g. http://vllm:8000/v1 */
    baseUrl: url,
    model: z.string().min(1),
    /** Write-only: stored encrypted, never returned. */
    apiKey: z.string().min(1).optional(),
    maxConcurrency: z.number().int().min(1).max(1024).default(4),
    requestsPerMinute: z.number().int().min(1).nullable().optional(),
    tokensPerMinute: z.number().int().min(1).nullable().optional(),
    timeoutMs: z.number().int().min(1000).max(3_600_000).default(120_000),
  })
  .strict();
export type CreateEndpointDto = z.infer<typeof CreateEndpointSchema>;

export const UpdateEndpointSchema = CreateEndpointSchema.partial()
  .extend({ apiKey: z.string().min(1).nullable().optional() })
  .strict();
export type UpdateEndpointDto = z.infer<typeof UpdateEndpointSchema>;
