import { Logger } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import * as os from 'node:os';
import type { DataSource } from 'typeorm';
import { RUN_KIND, RunPayloadSchema, type JobRunKind, type RunJobResult, type RunPayload } from '@retort/contracts';
import { onRunJobFailed, runJob } from './run-failure';

/**
 * What every run kind's processor shares: the job name check, the payload, the log line, permanent
 * failures and the run's failure after its last attempt. A subclass names its kind and does the work.
 */
export abstract class RunProcessor extends WorkerHost {
  protected readonly log: Logger;
  /** Who runs it, recorded on the run. */
  protected readonly workerName = `${os.hostname()}:${process.pid}`;

  protected constructor(
    protected readonly kind: JobRunKind,
    private readonly verb: string,
    protected readonly ds: DataSource,
  ) {
    super();
    this.log = new Logger(kind);
  }

  protected abstract work(payload: RunPayload): Promise<RunJobResult>;

  async process(job: Job): Promise<RunJobResult> {
    const { name, queue } = RUN_KIND[this.kind].job;
    if (job.name !== name) throw new Error(`the ${queue} queue has no job named ${job.name}`);
    const payload = RunPayloadSchema.parse(job.data);
    this.log.log(`run ${payload.runId}: ${this.verb} (attempt ${job.attemptsMade + 1})`);
    return runJob(() => this.work(payload));
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, err: Error): Promise<void> {
    return onRunJobFailed(this.ds, this.log, job, err);
  }
}
