import { Inject, Logger } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import * as os from 'node:os';
import { DataSource } from 'typeorm';
import { JOB_PAYLOAD_SCHEMA, JobName, QueueName } from '@retort/contracts';
import { processTrain } from '@retort/jobs';
import type { ArtifactStore } from '@retort/storage';
import { lockOptions } from './lock-options';
import { onRunJobFailed, runJob } from './run-failure';
import { ARTIFACT_STORE } from './tokens';

/** One training job at a time per worker process (one process per GPU). */
@Processor(QueueName.train, { concurrency: 1, ...lockOptions() })
export class TrainProcessor extends WorkerHost {
  private readonly log = new Logger('train');

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    if (job.name !== JobName.train) throw new Error(`the train queue has no job named ${job.name}`);
    const payload = JOB_PAYLOAD_SCHEMA[JobName.train].parse(job.data);
    this.log.log(`run ${payload.runId}: training (attempt ${job.attemptsMade + 1})`);
    return runJob(() => processTrain(payload, { ds: this.ds, store: this.store, worker: `${os.hostname()}:${process.pid}` }));
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, err: Error): Promise<void> {
    return onRunJobFailed(this.ds, this.log, job, err);
  }
}
