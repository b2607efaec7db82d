import { z } from 'zod';

/** What a worker declares about itself when it starts (kept in Redis while it lives). */
export const WorkerInfoSchema = z.object({
  name: z.string(),
  backend: z.string(),
  memoryBytes: z.number().int().positive(),
  queues: z.array(z.string()),
  startedAt: z.string(),
});
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>;

/** Redis keys of live workers: one per process, expiring unless refreshed. */
export const workerKey = (queuePrefix: string, name: string) => `${queuePrefix}:workers:${name}`;
export const workerKeyPattern = (queuePrefix: string) => `${queuePrefix}:workers:*`;
export const WORKER_TTL_SECONDS = 30;

/** Workers grouped into pools of the same backend and memory (what the planner's fitPools takes). */
export function workerPools(workers: WorkerInfo[], queue: string): { name: string; memoryBytes: number; backend: string; workers: number }[] {
  const pools = new Map<string, { name: string; memoryBytes: number; backend: string; workers: number }>();
  for (const w of workers.filter((x) => x.queues.includes(queue))) {
    const name = `${w.backend}-${Math.round(w.memoryBytes / 2 ** 30)}GiB`;
    const pool = pools.get(name) ?? { name, memoryBytes: w.memoryBytes, backend: w.backend, workers: 0 };
    pool.workers += 1;
    pools.set(name, pool);
  }
  return [...pools.values()];
}
