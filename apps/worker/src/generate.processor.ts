import { Inject } from '@nestjs/common';
import { InjectQueue, Processor } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { JobName, jobOptions, QueueName, RUN_KIND, type RetortConfig, type RunPayload } from '@retort/contracts';
import { processGenerate, type RunObserver } from '@retort/jobs';
import type { ArtifactStore } from '@retort/storage';
import { lockOptions } from './lock-options';
import type { WorkerMetrics } from './metrics/worker-metrics';
import { RunProcessor } from './run-processor';
import { ARTIFACT_STORE, CONFIG, METRICS } from './tokens';

/** Teacher generation: one run at a time per worker; the endpoint's own concurrency applies inside it. */
@Processor(RUN_KIND.generate.job.queue, { concurrency: 1, ...lockOptions() })
export class GenerateProcessor extends RunProcessor {
  constructor(
    @Inject(DataSource) ds: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(CONFIG) private readonly config: RetortConfig,
    @InjectQueue(QueueName.datasets) private readonly datasets: Queue,
    @Inject(METRICS) metrics: WorkerMetrics,
  ) {
    super('generate', 'generating', ds, metrics);
  }

  protected work(payload: RunPayload, observer: RunObserver) {
    return processGenerate(payload, {
      ds: this.ds,
      store: this.store,
      worker: this.workerName,
      secretKey: this.config.secretKey,
      observer,
      enqueueImport: async (versionId) => {
        const p = { versionId };
        await this.datasets.add(JobName.datasetImport, p, jobOptions(JobName.datasetImport, p));
      },
    });
  }
}
