import type { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { DataSource } from 'typeorm';
import { failRun } from '@retort/jobs';

/** A run's job failed: logged; once its last attempt has failed, the run (and its pipeline) fails for good. */
export async function onRunJobFailed(ds: DataSource, log: Logger, job: Job | undefined, err: Error): Promise<void> {
  if (!job) return;
  log.warn(`run ${job.data?.runId} failed (attempt ${job.attemptsMade}/${job.opts.attempts ?? 1}): ${err.message}`);
  if (job.attemptsMade >= (job.opts.attempts ?? 1)) await failRun(ds, job.data.runId, err.message);
}
