import { z } from 'zod';

/** One chat completion through an endpoint, as the console's playground shows it. */
export const PlaygroundChatResponseSchema = z.strictObject({
  model: z.string(),
  content: z.string(),
  finishReason: z.string().nullable(),
  /** The server's usage block, as it sent it. */
  usage: z.unknown().nullable(),
  latencyMs: z.number(),
});
