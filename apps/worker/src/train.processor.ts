import { Inject } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import { DataSource } from 'typeorm';
import { RUN_KIND, type RunPayload } from '@retort/contracts';
import { processTrain, type RunObserver } from '@retort/jobs';
import type { ArtifactStore } from '@retort/storage';
import { lockOptions } from './lock-options';
import type { WorkerMetrics } from './metrics/worker-metrics';
import { RunProcessor } from './run-processor';
import { ARTIFACT_STORE, METRICS } from './tokens';

/** One training job at a time per worker process (one process per GPU). */
@Processor(RUN_KIND.train.job.queue, { concurrency: 1, ...lockOptions() })
export class TrainProcessor extends RunProcessor {
  constructor(
    @Inject(DataSource) ds: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(METRICS) metrics: WorkerMetrics,
  ) {
    super('train', 'training', ds, metrics);
  }

  protected work(payload: RunPayload, observer: RunObserver) {
    return processTrain(payload, { ds: this.ds, store: this.store, worker: this.workerName, observer, draining: () => this.draining });
  }
}
