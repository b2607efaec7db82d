import { Inject, Injectable } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueueName, WorkerInfoSchema, workerKeyPattern, type RetortConfig, type WorkerInfo } from '@retort/contracts';
import { CONFIG } from '../infra/tokens';

/** The live workers, as they declared themselves in Redis (see apps/worker registration). */
@Injectable()
export class WorkersService {
  constructor(
    @Inject(CONFIG) private readonly config: RetortConfig,
    @Inject(getQueueToken(QueueName.datasets)) private readonly queue: Queue,
  ) {}

  async list(): Promise<WorkerInfo[]> {
    const redis = (await this.queue.client) as unknown as Redis;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', workerKeyPattern(this.config.queuePrefix), 'COUNT', 200);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (!keys.length) return [];
    const values = await redis.mget(...keys);
    return values.flatMap((v) => {
      const parsed = v ? WorkerInfoSchema.safeParse(JSON.parse(v)) : null;
      return parsed?.success ? [parsed.data] : [];
    });
  }
}
