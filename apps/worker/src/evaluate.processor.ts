import { Inject } from '@nestjs/common';
import { InjectQueue, Processor } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { JobName, jobOptions, QueueName, RUN_KIND, type RetortConfig, type RunPayload } from '@retort/contracts';
import { processEvaluate, type RunObserver } from '@retort/jobs';
import type { ArtifactStore } from '@retort/storage';
import { lockOptions } from './lock-options';
import type { WorkerMetrics } from './metrics/worker-metrics';
import { RunProcessor } from './run-processor';
import { ARTIFACT_STORE, CONFIG, METRICS } from './tokens';

/** Evaluation: one run at a time per worker (it holds a model). */
@Processor(RUN_KIND.evaluate.job.queue, { concurrency: 1, ...lockOptions() })
export class EvaluateProcessor extends RunProcessor {
  constructor(
    @Inject(DataSource) ds: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(CONFIG) private readonly config: RetortConfig,
    @InjectQueue(QueueName.registry) private readonly registry: Queue,
    @Inject(METRICS) metrics: WorkerMetrics,
  ) {
    super('evaluate', 'evaluating', ds, metrics);
  }

  protected work(payload: RunPayload, observer: RunObserver) {
    return processEvaluate(payload, {
      ds: this.ds,
      store: this.store,
      worker: this.workerName,
      secretKey: this.config.secretKey,
      observer,
      enqueueAutoPromote: async (p) => {
        await this.registry.add(JobName.autoPromote, p, jobOptions(JobName.autoPromote, p));
      },
    });
  }
}
