import { z } from 'zod';
import { WorkerInfoSchema } from '../workers';

/** Live workers and, for training, their pools (same backend and memory). */
export const WorkersResponseSchema = z.strictObject({
  workers: z.array(WorkerInfoSchema),
  trainPools: z.array(z.strictObject({ name: z.string(), memoryBytes: z.number().int(), backend: z.string(), workers: z.number().int(), maxBindingBytes: z.number().int().optional(), weightsOnHost: z.boolean().optional() })),
});
