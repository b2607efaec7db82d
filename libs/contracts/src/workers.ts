import { z } from 'zod';

/** What a worker declares about itself when it starts (kept in Redis while it lives). */
export const WorkerInfoSchema = z.object({
  name: z.string(),
  backend: z.string(),
  memoryBytes: z.number().int().positive(),
  /** webgpu: the adapter's maxStorageBufferBindingSize (the largest tensor it can hold). */
  maxBindingBytes: z.number().int().positive().optional(),
  /** wasm with the native addon: frozen weights in host memory, beside the 4 GiB heap. */
  weightsOnHost: z.boolean().optional(),
  queues: z.array(z.string()),
  startedAt: z.string(),
});
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>;

/** Redis keys of live workers: one per process, expiring unless refreshed. */
export const workerKey = (queuePrefix: string, name: string) => `${queuePrefix}:workers:${name}`;
export const workerKeyPattern = (queuePrefix: string) => `${queuePrefix}:workers:*`;
export const WORKER_TTL_SECONDS = 30;

export interface WorkerPoolInfo {
  name: string;
  memoryBytes: number;
  backend: string;
  workers: number;
  /** The smallest storage-binding limit of the pool's webgpu workers, if any. */
  maxBindingBytes?: number;
  weightsOnHost?: boolean;
}

/** Workers grouped into pools of the same backend and memory (what the planner's fitPools takes). */
export function workerPools(workers: WorkerInfo[], queue: string): WorkerPoolInfo[] {
  const pools = new Map<string, WorkerPoolInfo>();
  for (const w of workers.filter((x) => x.queues.includes(queue))) {
    const name = `${w.backend}${w.weightsOnHost ? '-host' : ''}-${Math.round(w.memoryBytes / 2 ** 30)}GiB`;
    const pool = pools.get(name) ?? { name, memoryBytes: w.memoryBytes, backend: w.backend, workers: 0, ...(w.weightsOnHost ? { weightsOnHost: true } : {}) };
    pool.workers += 1;
    if (w.maxBindingBytes !== undefined) pool.maxBindingBytes = Math.min(pool.maxBindingBytes ?? Infinity, w.maxBindingBytes);
    pools.set(name, pool);
  }
  return [...pools.values()];
}
