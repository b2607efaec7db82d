import type { DataSource } from 'typeorm';
import { Run, RunEvent } from '@retort/db';

/**
 * A pipeline step starting: the pipeline is running from its first step on. A step whose
 * predecessor did not succeed does not run: it ends as that step did (cancelled or failed).
 */
export async function startStep(ds: DataSource, run: Run, predecessorId?: string): Promise<'go' | 'skip'> {
  if (!run.parentId) return 'go';
  await ds.query(`UPDATE run SET status = 'running', started_at = COALESCE(started_at, now()) WHERE id = $1 AND status = 'queued'`, [run.parentId]);
  if (!predecessorId) return 'go';
  const before = await ds.getRepository(Run).findOneByOrFail({ id: predecessorId });
  if (before.status === 'succeeded') return 'go';
  const status = before.status === 'cancelled' ? 'cancelled' : 'failed';
  await ds.getRepository(Run).update({ id: run.id }, { status, finishedAt: new Date(), error: `not run: the ${before.kind} step is ${before.status}` });
  return 'skip';
}

/**
 * Marks the run running on this worker unless it was cancelled meanwhile (the api may cancel
 * between the job reading the run and this update); false means stop.
 */
export async function claimRun(ds: DataSource, run: Run, worker: string): Promise<boolean> {
  const [rows] = await ds.query(`UPDATE run SET status = 'running', worker = $2, started_at = COALESCE(started_at, now()), error = NULL WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`, [run.id, worker]);
  return rows.length > 0;
}

/** The last step succeeded: so did the pipeline, with the step's summary. */
export async function finishPipeline(ds: DataSource, run: Run, summary: Record<string, unknown>): Promise<void> {
  if (!run.parentId) return;
  await ds.query(`UPDATE run SET status = 'succeeded', finished_at = now(), progress = $2 WHERE id = $1 AND status = 'running'`, [run.parentId, JSON.stringify(summary)]);
}

/** A failure that another attempt would repeat (bad input, nothing left to train on): no retries. */
export class PermanentRunError extends Error {
  override name = 'PermanentRunError';
}

/** A run failed for good; in a pipeline, so does the pipeline, and the steps after it will not run. */
export async function failRun(ds: DataSource, runId: string, error: string): Promise<void> {
  await ds.query(`UPDATE run SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')`, [runId, error]);
  await ds.getRepository(RunEvent).insert({ runId, level: 'error', type: 'message', data: { message: error } as Record<string, any> });
  const run = await ds.getRepository(Run).findOneBy({ id: runId });
  if (!run?.parentId) return;
  await ds.query(`UPDATE run SET status = 'failed', error = $2, finished_at = now() WHERE parent_id = $1 AND status = 'queued'`, [run.parentId, `not run: the ${run.kind} step failed`]);
  await ds.query(`UPDATE run SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')`, [run.parentId, `the ${run.kind} step failed: ${error}`]);
}
