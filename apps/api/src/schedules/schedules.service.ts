import { Inject, Injectable, Logger, NotFoundException, OnApplicationBootstrap } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { DataSource, In } from 'typeorm';
import { CreatePipelineRunSchema, JobName, nextFireTimes, QueueName, ScheduleTemplateSchema, type CreateScheduleDto, type UpdateScheduleDto } from '@retort/contracts';
import { Dataset, DatasetVersion, Run, Schedule } from '@retort/db';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import { filterIds, type ListQuery } from '../common/list-query';
import { ProblemException } from '../common/problem';
import { RunsService } from '../runs/runs.service';

const ACTIVE = ['queued', 'running'];

/**
 * Schedules rerun a pipeline template on a cron. Each enabled schedule is a BullMQ job scheduler
 * (one per schedule id, however many api processes upsert it); each tick is recorded once in
 * schedule_fire (unique per schedule and tick), with the run it started or why it was skipped.
 */
@Injectable()
export class SchedulesService implements OnApplicationBootstrap {
  private readonly log = new Logger('schedules');

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(RunsService) private readonly runs: RunsService,
    @InjectQueue(QueueName.schedules) private readonly queue: Queue,
  ) {}

  /** Brings the job schedulers in line with the table (they live in Redis, which may be new). */
  async onApplicationBootstrap(): Promise<void> {
    for (const s of await this.ds.getRepository(Schedule).find()) await this.sync(s).catch((err) => this.log.warn(`schedule ${s.name}: ${(err as Error).message}`));
  }

  async create(dto: CreateScheduleDto, who: Principal): Promise<Schedule> {
    const repo = this.ds.getRepository(Schedule);
    if (await repo.findOneBy({ name: dto.name })) throw new ProblemException(409, 'conflict', `a schedule named "${dto.name}" already exists`);
    const saved = await repo.save(repo.create({ ...dto, template: dto.template as Record<string, any>, gate: dto.gate as Record<string, any> }));
    await this.sync(saved);
    await this.audit.record(who, 'schedule.create', { type: 'schedule', id: saved.id }, { name: saved.name, cron: saved.cron, timezone: saved.timezone });
    return saved;
  }

  async update(id: string, dto: UpdateScheduleDto, who: Principal): Promise<Schedule> {
    const s = await this.get(id);
    Object.assign(s, dto);
    const saved = await this.ds.getRepository(Schedule).save(s);
    await this.sync(saved);
    await this.audit.record(who, dto.enabled === false ? 'schedule.pause' : dto.enabled === true ? 'schedule.resume' : 'schedule.update', { type: 'schedule', id }, { fields: Object.keys(dto) });
    return saved;
  }

  async remove(id: string, who: Principal): Promise<void> {
    const s = await this.get(id);
    await this.queue.removeJobScheduler(s.id);
    await this.ds.getRepository(Schedule).delete(id);
    await this.audit.record(who, 'schedule.delete', { type: 'schedule', id }, { name: s.name });
  }

  async list(q: ListQuery): Promise<[Schedule[], number]> {
    const where = Array.isArray(q.filter.id) ? { id: In(filterIds(q)) } : {};
    return this.ds.getRepository(Schedule).findAndCount({ where, order: { [q.sort.field]: q.sort.order }, skip: q.skip, take: q.take });
  }

  async get(ref: string): Promise<Schedule> {
    const isUuid = /^[0-9a-f-]{36}$/i.test(ref);
    const s = await this.ds.getRepository(Schedule).findOneBy(isUuid ? { id: ref } : { name: ref });
    if (!s) throw new NotFoundException(`schedule ${ref} does not exist`);
    return s;
  }

  /** The schedule with its next five fire times and its recent ticks (and their runs' status). */
  async show(ref: string) {
    const s = await this.get(ref);
    const rows: { id: string; tick: Date; run_id: string | null; skipped: string | null; at: Date; run_status: string | null }[] = await this.ds.query(
      `SELECT f.id, f.tick, f.run_id, f.skipped, f.at, r.status AS run_status FROM schedule_fire f LEFT JOIN run r ON r.id = f.run_id WHERE f.schedule_id = $1 ORDER BY f.tick DESC LIMIT 50`,
      [s.id],
    );
    const fires = rows.map((f) => ({ id: f.id, tick: f.tick, runId: f.run_id, skipped: f.skipped, at: f.at, runStatus: f.run_status }));
    return { ...s, nextFireTimes: s.enabled ? nextFireTimes(s.cron, s.timezone, 5) : [], fires };
  }

  async trigger(ref: string, who: Principal): Promise<{ queued: true }> {
    const s = await this.get(ref);
    await this.queue.add(JobName.scheduleFire, { scheduleId: s.id, manual: true }, { removeOnComplete: 1000, removeOnFail: 1000 });
    await this.audit.record(who, 'schedule.trigger', { type: 'schedule', id: s.id });
    return { queued: true };
  }

  /**
   * One tick. Recorded once (the unique (schedule, tick) row decides between racing processes);
   * skipped with a reason when the schedule is paused or its previous run is still going.
   */
  async fire(scheduleId: string, tick: Date): Promise<{ runId?: string; skipped?: string; duplicate?: true }> {
    const inserted: { id: string }[] = await this.ds.query(`INSERT INTO schedule_fire (schedule_id, tick) VALUES ($1, $2) ON CONFLICT (schedule_id, tick) DO NOTHING RETURNING id`, [scheduleId, tick]);
    if (!inserted.length) return { duplicate: true };
    const fireId = inserted[0].id;
    const skip = async (reason: string) => {
      await this.ds.query(`UPDATE schedule_fire SET skipped = $2 WHERE id = $1`, [fireId, reason]);
      return { skipped: reason };
    };
    const s = await this.ds.getRepository(Schedule).findOneBy({ id: scheduleId });
    if (!s) return skip('the schedule was deleted');
    if (s.lastRunId) {
      const last = await this.ds.getRepository(Run).findOneBy({ id: s.lastRunId });
      if (last && ACTIVE.includes(last.status)) return skip(`the previous run ${last.id} is still ${last.status}`);
    }
    try {
      const template = ScheduleTemplateSchema.parse(s.template);
      const { dataset, evalDataset, ...rest } = template;
      const dto = CreatePipelineRunSchema.parse({ kind: 'pipeline', ...rest, prompts: await this.latestReady(dataset), evalDatasetVersion: await this.latestReady(evalDataset) });
      const system = { name: `schedule:${s.name}`, tokenId: null as unknown as string, role: 'operator' as const };
      const run = await this.runs.create(dto, system, { scheduleId: s.id, gate: s.gate, autoPromote: s.autoPromote });
      await this.ds.query(`UPDATE schedule_fire SET run_id = $2 WHERE id = $1`, [fireId, run.id]);
      await this.ds.getRepository(Schedule).update(s.id, { lastRunId: run.id, lastFiredAt: new Date() });
      return { runId: run.id };
    } catch (err) {
      return skip(`could not start the pipeline: ${(err as Error).message}`);
    }
  }

  private async sync(s: Schedule): Promise<void> {
    if (!s.enabled) {
      await this.queue.removeJobScheduler(s.id);
      return;
    }
    await this.queue.upsertJobScheduler(s.id, { pattern: s.cron, tz: s.timezone }, { name: JobName.scheduleFire, data: { scheduleId: s.id }, opts: { removeOnComplete: 1000, removeOnFail: 1000 } });
  }

  private async latestReady(name: string): Promise<string> {
    const dataset = await this.ds.getRepository(Dataset).findOneBy({ name });
    const v = dataset && (await this.ds.getRepository(DatasetVersion).findOne({ where: { datasetId: dataset.id, status: 'ready' }, order: { version: 'DESC' } }));
    if (!v) throw new Error(`data set "${name}" has no ready version`);
    return v.id;
  }
}
