import { z } from 'zod';
import { jsonObject, timestamp } from './fields';

export const BaseModelResponseSchema = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  /** The Hugging Face layout directory, as the api and the workers read it. */
  path: z.string(),
  family: z.string(),
  /** Its config.json. */
  config: jsonObject,
  hasTokenizer: z.boolean(),
  createdAt: timestamp,
});
