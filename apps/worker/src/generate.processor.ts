import { Inject, Logger } from '@nestjs/common';
import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job, Queue } from 'bullmq';
import * as os from 'node:os';
import { DataSource } from 'typeorm';
import { JOB_PAYLOAD_SCHEMA, JobName, jobId, QueueName, type RetortConfig } from '@retort/contracts';
import { processGenerate } from '@retort/jobs';
import type { ArtifactStore } from '@retort/storage';
import { lockOptions } from './lock-options';
import { onRunJobFailed, runJob } from './run-failure';
import { ARTIFACT_STORE, CONFIG } from './tokens';

/** Teacher generation: one run at a time per worker; the endpoint's own concurrency applies inside it. */
@Processor(QueueName.generate, { concurrency: 1, ...lockOptions() })
export class GenerateProcessor extends WorkerHost {
  private readonly log = new Logger('generate');

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(CONFIG) private readonly config: RetortConfig,
    @InjectQueue(QueueName.datasets) private readonly datasets: Queue,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    if (job.name !== JobName.generate) throw new Error(`the generate queue has no job named ${job.name}`);
    const payload = JOB_PAYLOAD_SCHEMA[JobName.generate].parse(job.data);
    this.log.log(`run ${payload.runId}: generating (attempt ${job.attemptsMade + 1})`);
    return runJob(() => processGenerate(payload, {
      ds: this.ds,
      store: this.store,
      worker: `${os.hostname()}:${process.pid}`,
      secretKey: this.config.secretKey,
      enqueueImport: async (versionId) => {
        const p = { versionId };
        await this.datasets.add(JobName.datasetImport, p, { jobId: jobId(JobName.datasetImport, p), attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 1000 });
      },
    }));
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, err: Error): Promise<void> {
    return onRunJobFailed(this.ds, this.log, job, err);
  }
}
