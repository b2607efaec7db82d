import { Inject, Injectable, Logger, NotFoundException, OnApplicationBootstrap } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { CreatePipelineRunSchema, JobName, nextFireTimes, QueueName, ScheduleTemplateSchema, type CreateScheduleDto, type ScheduleTemplate, type UpdateScheduleDto } from '@retort/contracts';
import { Repositories, type Schedule } from '@retort/db';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import { idFilter, type ListQuery } from '../common/list-query';
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
    @Inject(Repositories) private readonly db: Repositories,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(RunsService) private readonly runs: RunsService,
    @InjectQueue(QueueName.schedules) private readonly queue: Queue,
  ) {}

  /** Brings the job schedulers in line with the table (they live in Redis, which may be new). */
  async onApplicationBootstrap(): Promise<void> {
    for (const s of await this.db.schedules.all()) await this.sync(s).catch((err) => this.log.warn(`schedule ${s.name}: ${(err as Error).message}`));
  }

  /** Registers again the enabled schedules whose job scheduler Redis no longer holds; returns their names. */
  async reconcile(): Promise<string[]> {
    const restored: string[] = [];
    for (const s of await this.db.schedules.all()) {
      if (!s.enabled || (await this.queue.getJobScheduler(s.id))) continue;
      await this.sync(s);
      restored.push(s.name);
    }
    return restored;
  }

  async create(dto: CreateScheduleDto, who: Principal): Promise<Schedule> {
    if (await this.db.schedules.findByName(dto.name)) throw new ProblemException(409, 'conflict', `a schedule named "${dto.name}" already exists`);
    await this.checkTemplate(dto.template);
    const saved = await this.db.schedules.create({ ...dto, template: dto.template as Record<string, any>, gate: dto.gate as Record<string, any> });
    await this.sync(saved);
    await this.audit.record(who, 'schedule.create', { type: 'schedule', id: saved.id }, { name: saved.name, cron: saved.cron, timezone: saved.timezone });
    return saved;
  }

  async update(id: string, dto: UpdateScheduleDto, who: Principal): Promise<Schedule> {
    const s = await this.get(id);
    if (dto.template) await this.checkTemplate(dto.template);
    Object.assign(s, dto);
    const saved = await this.db.schedules.save(s);
    await this.sync(saved);
    await this.audit.record(who, dto.enabled === false ? 'schedule.pause' : dto.enabled === true ? 'schedule.resume' : 'schedule.update', { type: 'schedule', id }, { fields: Object.keys(dto) });
    return saved;
  }

  async remove(id: string, who: Principal): Promise<void> {
    const s = await this.get(id);
    await this.queue.removeJobScheduler(s.id);
    await this.db.schedules.delete(id);
    await this.audit.record(who, 'schedule.delete', { type: 'schedule', id }, { name: s.name });
  }

  async list(q: ListQuery): Promise<[Schedule[], number]> {
    return this.db.schedules.list({ ids: idFilter(q) }, q);
  }

  async get(ref: string): Promise<Schedule> {
    const s = await this.db.schedules.findByRef(ref);
    if (!s) throw new NotFoundException(`schedule ${ref} does not exist`);
    return s;
  }

  /** The schedule with its next five fire times and its recent ticks (and their runs' status). */
  async show(ref: string) {
    const s = await this.get(ref);
    const fires = await this.db.schedules.recentFires(s.id, 50);
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
    const fireId = await this.db.schedules.claimFire(scheduleId, tick);
    if (fireId === null) return { duplicate: true };
    const skip = async (reason: string) => {
      await this.db.schedules.fireSkipped(fireId, reason);
      return { skipped: reason };
    };
    const s = await this.db.schedules.findById(scheduleId);
    if (!s) return skip('the schedule was deleted');
    if (s.lastRunId) {
      const last = await this.db.runs.find(s.lastRunId);
      if (last && ACTIVE.includes(last.status)) return skip(`the previous run ${last.id} is still ${last.status}`);
    }
    try {
      const template = ScheduleTemplateSchema.parse(s.template);
      const { dataset, evalDataset, ...rest } = template;
      const dto = CreatePipelineRunSchema.parse({ kind: 'pipeline', ...rest, prompts: await this.latestReady(dataset), evalDatasetVersion: await this.latestReady(evalDataset) });
      const system = { name: `schedule:${s.name}`, tokenId: null as unknown as string, role: 'operator' as const };
      const run = await this.runs.create(dto, system, { scheduleId: s.id, gate: s.gate, autoPromote: s.autoPromote });
      await this.db.schedules.fireStarted(fireId, run.id);
      await this.db.schedules.markFired(s.id, run.id);
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

  /** Refuses a template naming a teacher, model or data set that does not exist (a tick would only fail). */
  private async checkTemplate(template: ScheduleTemplate): Promise<void> {
    const teacher = await this.db.endpoints.findByRef(template.teacher);
    const errors = [
      ...(!teacher ? [{ path: 'template.teacher', message: `no endpoint "${template.teacher}"` }] : teacher.purpose !== 'teacher' ? [{ path: 'template.teacher', message: 'is a serving endpoint, not a teacher' }] : []),
      ...(!(await this.db.baseModels.findByRef(template.student)) ? [{ path: 'template.student', message: `no base model "${template.student}" is registered` }] : []),
      ...(!(await this.db.datasets.findByName(template.dataset)) ? [{ path: 'template.dataset', message: `no data set "${template.dataset}"` }] : []),
      ...(!(await this.db.datasets.findByName(template.evalDataset)) ? [{ path: 'template.evalDataset', message: `no data set "${template.evalDataset}"` }] : []),
    ];
    if (errors.length) throw new ProblemException(400, 'validation', `the schedule's template names what does not exist: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
  }

  private async latestReady(name: string): Promise<string> {
    const dataset = await this.db.datasets.findByName(name);
    const v = dataset && (await this.db.datasetVersions.latestReady(dataset.id));
    if (!v) throw new Error(`data set "${name}" has no ready version`);
    return v.id;
  }
}
