import { DataSource, EntityManager, In, IsNull, MoreThan } from 'typeorm';
import { Checkpoint } from '../entities/checkpoint.entity';
import { RunEvent } from '../entities/run-event.entity';
import { Run, type RunKind, type RunStatus } from '../entities/run.entity';

export type RunEventLevel = RunEvent['level'];
export type RunEventType = RunEvent['type'];

export interface NewRun {
  kind: RunKind;
  config: object;
  parentId?: string | null;
  scheduleId?: string | null;
}

export interface RunListQuery {
  where: { kind?: string; status?: string; parentId?: string | null; ids?: string[] };
  order: Record<string, 'ASC' | 'DESC'>;
  skip: number;
  take: number;
}

/**
 * Runs, their events and checkpoints: every status change of a run is a method here, each guarded
 * so that a run cancelled meanwhile stays cancelled and a finished run is not reopened by a stale job.
 */
export class RunRepository {
  private readonly m: EntityManager;

  constructor(db: DataSource | EntityManager) {
    this.m = db instanceof DataSource ? db.manager : db;
  }

  create(run: NewRun): Promise<Run> {
    const repo = this.m.getRepository(Run);
    return repo.save(repo.create({ kind: run.kind, status: 'queued', config: run.config as Record<string, unknown>, progress: {}, parentId: run.parentId ?? null, error: null, worker: null, scheduleId: run.scheduleId ?? null }));
  }

  async setConfig(id: string, config: object): Promise<void> {
    await this.m.getRepository(Run).update({ id }, { config: config as Record<string, any> });
  }

  find(id: string): Promise<Run | null> {
    return this.m.getRepository(Run).findOneBy({ id });
  }

  get(id: string): Promise<Run> {
    return this.m.getRepository(Run).findOneByOrFail({ id });
  }

  async statusOf(id: string): Promise<RunStatus | undefined> {
    return (await this.m.getRepository(Run).findOne({ where: { id }, select: { status: true } }))?.status;
  }

  /** Runs not inside a pipeline (pipelines themselves included) that are queued or running, oldest first. */
  unfinishedTopLevel(): Promise<Run[]> {
    return this.m.getRepository(Run).find({ where: { parentId: IsNull(), status: In(['queued', 'running']) }, order: { createdAt: 'ASC' } });
  }

  steps(parentId: string): Promise<Run[]> {
    return this.m.getRepository(Run).findBy({ parentId });
  }

  list(q: RunListQuery): Promise<[Run[], number]> {
    const where: Record<string, unknown> = {};
    if (q.where.kind !== undefined) where.kind = q.where.kind;
    if (q.where.status !== undefined) where.status = q.where.status;
    if (q.where.parentId === null) where.parentId = IsNull();
    else if (q.where.parentId !== undefined) where.parentId = q.where.parentId;
    if (q.where.ids) where.id = In(q.where.ids);
    return this.m.getRepository(Run).findAndCount({ where, order: q.order, skip: q.skip, take: q.take });
  }

  /**
   * Marks the run running on this worker unless it was cancelled meanwhile (the api may cancel
   * between the job reading the run and this update); false means stop.
   */
  async claim(id: string, worker: string): Promise<boolean> {
    const [rows] = await this.m.query(`UPDATE run SET status = 'running', worker = $2, started_at = COALESCE(started_at, now()), error = NULL WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`, [id, worker]);
    return rows.length > 0;
  }

  /** A pipeline is running from its first step on. */
  async startPipeline(id: string): Promise<void> {
    await this.m.query(`UPDATE run SET status = 'running', started_at = COALESCE(started_at, now()) WHERE id = $1 AND status = 'queued'`, [id]);
  }

  /** The latest progress of a running run. */
  async progress(id: string, progress: object): Promise<void> {
    await this.m.getRepository(Run).update(id, { progress: progress as Record<string, any> });
  }

  async event(runId: string, level: RunEventLevel, type: RunEventType, data: object): Promise<void> {
    await this.m.getRepository(RunEvent).insert({ runId, level, type, data: data as Record<string, any> });
  }

  /**
   * A resumed run replays the steps after its checkpoint: the metrics a dead worker wrote for
   * them are superseded, so that each step appears once in the loss curve.
   */
  async dropMetricsAfter(runId: string, step: number): Promise<void> {
    await this.m
      .createQueryBuilder()
      .delete()
      .from(RunEvent)
      .where(`run_id = :runId AND type = 'metrics' AND (data->>'step')::int > :step`, { runId, step })
      .execute();
  }

  events(runId: string, afterId = '0', limit = 1000): Promise<RunEvent[]> {
    return this.m.getRepository(RunEvent).find({ where: { runId, id: MoreThan(afterId) }, order: { id: 'ASC' }, take: limit });
  }

  /** Succeeded with its final progress, unless it was cancelled meanwhile. */
  async succeed(id: string, progress: object): Promise<void> {
    await this.m.getRepository(Run).update({ id, status: 'running' }, { status: 'succeeded', finishedAt: new Date(), progress: progress as Record<string, any> });
  }

  /** The last step succeeded: so did the pipeline, with the step's summary. */
  async succeedPipeline(id: string, summary: object): Promise<void> {
    await this.m.query(`UPDATE run SET status = 'succeeded', finished_at = now(), progress = $2 WHERE id = $1 AND status = 'running'`, [id, JSON.stringify(summary)]);
  }

  /** A step that does not run because the one before it did not succeed: it ends as that one did. */
  async endUnrun(id: string, status: 'cancelled' | 'failed', error: string): Promise<void> {
    await this.m.getRepository(Run).update({ id }, { status, finishedAt: new Date(), error });
  }

  /** The job saw the cancel and stopped. */
  async stopped(id: string): Promise<void> {
    await this.m.getRepository(Run).update({ id }, { status: 'cancelled', finishedAt: new Date() });
  }

  /** A run failed for good; in a pipeline, so does the pipeline, and the steps after it will not run. */
  async fail(id: string, error: string): Promise<void> {
    const run = await this.find(id);
    if (!run) return; // another installation's run, whose job reached this one's worker
    // Already over (cancelled, or failed as "not run" because a step before it failed, which is when
    // BullMQ fails its flow job with "child … failed"): its status and events say what happened.
    if (run.status !== 'queued' && run.status !== 'running') return;
    await this.m.query(`UPDATE run SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')`, [id, error]);
    await this.event(id, 'error', 'message', { message: error });
    if (!run.parentId) return;
    await this.m.query(`UPDATE run SET status = 'failed', error = $2, finished_at = now() WHERE parent_id = $1 AND status = 'queued'`, [run.parentId, `not run: the ${run.kind} step failed`]);
    await this.m.query(`UPDATE run SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')`, [run.parentId, `the ${run.kind} step failed: ${error}`]);
  }

  /** The api's cancel: a queued run stops at once, a running one when its worker notices. */
  async cancel(run: Run): Promise<void> {
    await this.m.getRepository(Run).update({ id: run.id }, { status: 'cancelled', ...(run.status === 'queued' ? { finishedAt: new Date() } : {}) });
  }

  /** Cancels a pipeline and every unfinished step: queued ones at once, the running one within a step. */
  async cancelPipeline(id: string): Promise<void> {
    await this.m.query(`UPDATE run SET status = 'cancelled', finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END WHERE (id = $1 OR parent_id = $1) AND status IN ('queued', 'running')`, [id]);
  }

  /** A draining worker gave the running run back: queued again, for the next worker to resume. */
  async release(id: string): Promise<void> {
    await this.m.query(`UPDATE run SET status = 'queued', worker = NULL WHERE id = $1 AND status = 'running'`, [id]);
  }

  /** Back to the queue (a retry). */
  async requeue(id: string): Promise<void> {
    await this.m.getRepository(Run).update({ id }, { status: 'queued', error: null, finishedAt: null });
  }

  /** A pipeline and its steps that did not succeed go back to the queue. */
  async requeuePipeline(id: string): Promise<void> {
    await this.m.query(`UPDATE run SET status = 'queued', error = NULL, finished_at = NULL WHERE (id = $1 OR parent_id = $1) AND status <> 'succeeded'`, [id]);
  }

  checkpoints(runId: string): Promise<Checkpoint[]> {
    return this.m.getRepository(Checkpoint).find({ where: { runId }, order: { step: 'ASC' } });
  }

  async saveCheckpoint(runId: string, step: number, artifactPrefix: string, metrics: object): Promise<void> {
    await this.m.query(
      `INSERT INTO checkpoint (run_id, step, artifact_prefix, metrics) VALUES ($1, $2, $3, $4)
       ON CONFLICT (run_id, step) DO UPDATE SET artifact_prefix = EXCLUDED.artifact_prefix, metrics = EXCLUDED.metrics`,
      [runId, step, artifactPrefix, JSON.stringify(metrics)],
    );
  }
}
