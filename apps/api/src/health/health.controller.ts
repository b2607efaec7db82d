import { Controller, Get, Inject, Res } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { ApiTags } from '@nestjs/swagger';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Response } from 'express';
import { QueueName } from '@retort/contracts';
import { Repositories } from '@retort/db';
import type { ArtifactStore } from '@retort/storage';
import { Public } from '../auth/roles.decorator';
import { ARTIFACT_STORE } from '../infra/tokens';

type Check = 'ok' | string;

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(Repositories) private readonly db: Repositories,
    @Inject(getQueueToken(QueueName.datasets)) private readonly queue: Queue,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  /** 200 when the database, Redis and the artifact store all answer; 503 naming what doesn't. */
  @Get('healthz')
  @Public()
  async health(@Res({ passthrough: true }) res: Response) {
    const checks: Record<'db' | 'redis' | 'storage', Check> = {
      db: await probe(() => this.db.ping()),
      redis: await probe(async () => ((await this.queue.client) as unknown as Redis).ping()),
      storage: await probe(() => this.store.check()),
    };
    const ok = Object.values(checks).every((c) => c === 'ok');
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', checks };
  }
}

async function probe(fn: () => Promise<unknown>, timeoutMs = 2000): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return 'ok';
  } catch (err) {
    return `error: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    clearTimeout(timer);
  }
}
