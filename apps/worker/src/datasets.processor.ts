import { Inject, Logger } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { UnrecoverableError, type Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { JOB_PAYLOAD_SCHEMA, JobName, QueueName } from '@retort/contracts';
import { failDatasetAnalyze, failDatasetImport, processDatasetAnalyze, processDatasetImport } from '@retort/jobs';
import type { ArtifactStore } from '@retort/storage';
import type { WorkerMetrics } from './metrics/worker-metrics';
import { runJob } from './run-failure';
import { ARTIFACT_STORE, METRICS } from './tokens';

@Processor(QueueName.datasets, { concurrency: 2 })
export class DatasetsProcessor extends WorkerHost {
  private readonly log = new Logger('datasets');

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(METRICS) private readonly metrics: WorkerMetrics,
  ) {
    super();
  }

  process(job: Job): Promise<unknown> {
    return this.metrics.measure(job, QueueName.datasets, job.name, () => runJob(() => this.run(job)));
  }

  private async run(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.datasetImport:
        return processDatasetImport(JOB_PAYLOAD_SCHEMA[JobName.datasetImport].parse(job.data), { ds: this.ds, store: this.store });
      case JobName.datasetAnalyze:
        return processDatasetAnalyze(JOB_PAYLOAD_SCHEMA[JobName.datasetAnalyze].parse(job.data), { ds: this.ds });
      default:
        throw new Error(`the datasets queue has no job named ${job.name}`);
    }
  }

  /** After the last attempt, record the failure where the user looks, not only in Redis. */
  @OnWorkerEvent('failed')
  async onFailed(job: Job | undefined, err: Error): Promise<void> {
    if (!job) return;
    this.log.warn(`${job.name} ${job.id} failed (attempt ${job.attemptsMade}/${job.opts.attempts ?? 1}): ${err.message}`);
    if (!(err instanceof UnrecoverableError) && job.attemptsMade < (job.opts.attempts ?? 1)) return;
    if (job.name === JobName.datasetImport) await failDatasetImport(job.data, { ds: this.ds }, err.message);
    if (job.name === JobName.datasetAnalyze) await failDatasetAnalyze(job.data, { ds: this.ds }, err.message);
  }
}
