import { Inject } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import { DataSource } from 'typeorm';
import { RUN_KIND, type RunPayload } from '@retort/contracts';
import { processTrain } from '@retort/jobs';
import type { ArtifactStore } from '@retort/storage';
import { lockOptions } from './lock-options';
import { RunProcessor } from './run-processor';
import { ARTIFACT_STORE } from './tokens';

/** One training job at a time per worker process (one process per GPU). */
@Processor(RUN_KIND.train.job.queue, { concurrency: 1, ...lockOptions() })
export class TrainProcessor extends RunProcessor {
  constructor(
    @Inject(DataSource) ds: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {
    super('train', 'training', ds);
  }

  protected work(payload: RunPayload) {
    return processTrain(payload, { ds: this.ds, store: this.store, worker: this.workerName });
  }
}
