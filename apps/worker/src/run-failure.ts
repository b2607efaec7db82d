import type { Logger } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import type { DataSource } from 'typeorm';
import { RunRepository } from '@retort/db';
import { PermanentRunError } from '@retort/jobs';

/** Runs a job's work; a failure that a retry would repeat skips BullMQ's remaining attempts. */
export async function runJob<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof PermanentRunError ? new UnrecoverableError(err.message) : err;
  }
}

/** A run's job failed: logged; once its last attempt has failed, the run (and its pipeline) fails for good. */
export async function onRunJobFailed(ds: DataSource, log: Logger, job: Job | undefined, err: Error): Promise<void> {
  if (!job) return;
  log.warn(`run ${job.data?.runId} failed (attempt ${job.attemptsMade}/${job.opts.attempts ?? 1}): ${err.message}`);
  if (err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)) await new RunRepository(ds).fail(job.data.runId, err.message);
}
