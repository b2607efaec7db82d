import { Redis } from 'ioredis';
import * as os from 'node:os';
import { redisOptionsFromUrl, WORKER_TTL_SECONDS, workerKey, type RetortConfig, type WorkerInfo } from '@retort/contracts';

/** How a worker process is named on its runs, in Redis and in its metrics. */
export function workerName(): string {
  return `${os.hostname()}:${process.pid}`;
}

/**
 * Keeps this worker's declaration (backend, memory, queues) in Redis while it lives, refreshed
 * well within its TTL, so the api can tell which jobs some worker can hold. A killed worker's
 * entry expires by itself.
 */
export async function registerWorker(config: RetortConfig, info: Omit<WorkerInfo, 'name' | 'startedAt'>): Promise<{ info: WorkerInfo; stop(): Promise<void> }> {
  const full: WorkerInfo = { ...info, name: workerName(), startedAt: new Date().toISOString() };
  const redis = new Redis({ ...redisOptionsFromUrl(config.redisUrl), maxRetriesPerRequest: 1 });
  const key = workerKey(config.queuePrefix, full.name);
  const write = () => redis.set(key, JSON.stringify(full), 'EX', WORKER_TTL_SECONDS);
  await write();
  const timer = setInterval(() => void write().catch(() => undefined), (WORKER_TTL_SECONDS * 1000) / 3);
  return {
    info: full,
    async stop() {
      clearInterval(timer);
      await redis.del(key).catch(() => undefined);
      redis.disconnect();
    },
  };
}
