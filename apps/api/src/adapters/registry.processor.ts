import { Inject, Logger } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { JOB_PAYLOAD_SCHEMA, JobName, QueueName } from '@retort/contracts';
import { Repositories } from '@retort/db';
import { PromotionService } from './promotion.service';

/** Auto-promotion of a scheduled pipeline's candidate whose gate passed (queued by the worker). */
@Processor(QueueName.registry, { concurrency: 1 })
export class RegistryProcessor extends WorkerHost {
  private readonly log = new Logger('registry');

  constructor(
    @Inject(Repositories) private readonly db: Repositories,
    @Inject(PromotionService) private readonly promotion: PromotionService,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    if (job.name !== JobName.autoPromote) throw new Error(`the registry queue has no job named ${job.name}`);
    const payload = JOB_PAYLOAD_SCHEMA[JobName.autoPromote].parse(job.data);
    const version = await this.db.adapters.findVersionById(payload.adapterVersionId);
    const adapter = version && (await this.db.adapters.findById(version.adapterId));
    if (!version || !adapter) throw new Error(`adapter version ${payload.adapterVersionId} does not exist`);
    const run = await this.db.runs.get(payload.pipelineRunId);
    const who = { name: `auto-promote:${run.id}`, tokenId: null as unknown as string, role: 'admin' as const };
    try {
      const result = await this.promotion.promote(adapter.id, { version: version.version, stage: 'production' }, who);
      this.log.log(`${adapter.name} v${version.version} promoted to production after run ${run.id}`);
      return result;
    } catch (err) {
      // Already there (a redelivered job) is fine; anything else is recorded by the promotion.
      if ((err as { getStatus?: () => number }).getStatus?.() === 409) return { skipped: (err as Error).message };
      throw err;
    }
  }
}
