import { Inject, Logger } from '@nestjs/common';
import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job, Queue } from 'bullmq';
import * as os from 'node:os';
import { DataSource } from 'typeorm';
import { JOB_PAYLOAD_SCHEMA, JobName, jobId, QueueName, type RetortConfig } from '@retort/contracts';
import { processEvaluate } from '@retort/jobs';
import type { ArtifactStore } from '@retort/storage';
import { lockOptions } from './lock-options';
import { onRunJobFailed, runJob } from './run-failure';
import { ARTIFACT_STORE, CONFIG } from './tokens';

/** Evaluation: one run at a time per worker (it holds a model). */
@Processor(QueueName.evaluate, { concurrency: 1, ...lockOptions() })
export class EvaluateProcessor extends WorkerHost {
  private readonly log = new Logger('generate');

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(CONFIG) private readonly config: RetortConfig,
    @InjectQueue(QueueName.registry) private readonly registry: Queue,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    if (job.name !== JobName.evaluate) throw new Error(`the evaluate queue has no job named ${job.name}`);
    const payload = JOB_PAYLOAD_SCHEMA[JobName.evaluate].parse(job.data);
    this.log.log(`run ${payload.runId}: evaluating (attempt ${job.attemptsMade + 1})`);
    return runJob(() => processEvaluate(payload, {
      ds: this.ds,
      store: this.store,
      worker: `${os.hostname()}:${process.pid}`,
      secretKey: this.config.secretKey,
      enqueueAutoPromote: async (p) => {
        await this.registry.add(JobName.autoPromote, p, { jobId: jobId(JobName.autoPromote, p), attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: 1000, removeOnFail: 1000 });
      },
    }));
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, err: Error): Promise<void> {
    return onRunJobFailed(this.ds, this.log, job, err);
  }
}
