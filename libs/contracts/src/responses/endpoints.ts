import { z } from 'zod';
import { CreateEndpointSchema } from '../endpoints';
import { timestamp } from './fields';

/** An endpoint as every route returns it: the key itself never, only whether one is stored. */
export const EndpointResponseSchema = CreateEndpointSchema.omit({ apiKey: true }).extend({
  id: z.uuid(),
  requestsPerMinute: z.number().int().nullable(),
  tokensPerMinute: z.number().int().nullable(),
  createdAt: timestamp,
  hasApiKey: z.boolean(),
});

/** "Test connection": the model list when the server answered it, and whether the endpoint's model is in it. */
export const ConnectionTestResponseSchema = z.strictObject({
  ok: z.boolean(),
  models: z.array(z.string()).optional(),
  modelListed: z.boolean().optional(),
  latencyMs: z.number(),
  error: z.string().optional(),
});
