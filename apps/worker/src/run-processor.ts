import { Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { WaitingError, type Job } from 'bullmq';
import type { DataSource } from 'typeorm';
import { RUN_KIND, RunPayloadSchema, type JobRunKind, type RunJobResult, type RunPayload } from '@retort/contracts';
import type { RunObserver } from '@retort/jobs';
import type { WorkerMetrics } from './metrics/worker-metrics';
import { workerName } from './registration';
import { onRunJobFailed, runJob } from './run-failure';

/**
 * What every run kind's processor shares: the job name check, the payload, the log line, permanent
 * failures and the run's failure after its last attempt, its metrics, and draining on shutdown.
 * A subclass names its kind and does the work.
 */
export abstract class RunProcessor extends WorkerHost implements BeforeApplicationShutdown {
  protected readonly log: Logger;
  /** Who runs it, recorded on the run. */
  protected readonly workerName = workerName();
  /** Set on SIGTERM (a scale-down): take no new job; a job that can checkpoint gives its run back. */
  protected draining = false;

  protected constructor(
    protected readonly kind: JobRunKind,
    private readonly verb: string,
    protected readonly ds: DataSource,
    private readonly metrics: WorkerMetrics,
  ) {
    super();
    this.log = new Logger(kind);
  }

  protected abstract work(payload: RunPayload, observer: RunObserver): Promise<RunJobResult>;

  async process(job: Job, token?: string): Promise<RunJobResult> {
    const { name, queue } = RUN_KIND[this.kind].job;
    if (job.name !== name) throw new Error(`the ${queue} queue has no job named ${job.name}`);
    const payload = RunPayloadSchema.parse(job.data);
    if (this.draining) return this.giveBack(job, token);
    this.log.log(`run ${payload.runId}: ${this.verb} (attempt ${job.attemptsMade + 1})`);
    const result = await this.metrics.measure(job, queue, this.kind, () => runJob(() => this.work(payload, this.metrics.observerFor(queue, this.kind))));
    if (result.status === 'queued' && this.draining) return this.giveBack(job, token);
    return result;
  }

  /** Back to the wait list at once (no attempt used, no lock to expire), for another worker. */
  private async giveBack(job: Job, token?: string): Promise<never> {
    await job.moveToWait(token);
    this.log.log(`run ${job.data.runId}: given back to the ${job.queueName} queue (worker shutting down)`);
    throw new WaitingError();
  }

  /**
   * Before anything closes (the database goes in the shutdown hooks): no new job, and the one in
   * progress checkpoints and gives its run back (training) or finishes, within the grace period.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    await this.worker.pause();
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, err: Error): Promise<void> {
    return onRunJobFailed(this.ds, this.log, job, err);
  }
}
