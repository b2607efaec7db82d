import { In, type EntityManager } from 'typeorm';
import { Schedule } from '../entities';
import { NamedRepository } from './named.repository';
import { findPage, type Page } from './page';

/** One recorded tick of a schedule, with the status of the run it started. */
export interface ScheduleFireView {
  id: string;
  tick: Date;
  runId: string | null;
  skipped: string | null;
  at: Date;
  runStatus: string | null;
}

export class ScheduleRepository extends NamedRepository<Schedule> {
  constructor(m: EntityManager) {
    super(m, Schedule);
  }

  all(): Promise<Schedule[]> {
    return this.repo.find();
  }

  create(fields: Pick<Schedule, 'name' | 'cron'> & Partial<Pick<Schedule, 'timezone' | 'template' | 'gate' | 'autoPromote' | 'enabled'>>): Promise<Schedule> {
    return this.repo.save(this.repo.create(fields));
  }

  save(schedule: Schedule): Promise<Schedule> {
    return this.repo.save(schedule);
  }

  async delete(id: string): Promise<void> {
    await this.repo.delete(id);
  }

  list(filter: { ids?: string[] }, page: Page): Promise<[Schedule[], number]> {
    return findPage(this.repo, filter.ids ? { id: In(filter.ids) } : {}, page);
  }

  async markFired(id: string, runId: string): Promise<void> {
    await this.repo.update(id, { lastRunId: runId, lastFiredAt: new Date() });
  }

  /** Newest tick first. */
  async recentFires(scheduleId: string, limit: number): Promise<ScheduleFireView[]> {
    const rows: { id: string; tick: Date; run_id: string | null; skipped: string | null; at: Date; run_status: string | null }[] = await this.m.query(
      `SELECT f.id, f.tick, f.run_id, f.skipped, f.at, r.status AS run_status FROM schedule_fire f LEFT JOIN run r ON r.id = f.run_id WHERE f.schedule_id = $1 ORDER BY f.tick DESC LIMIT $2`,
      [scheduleId, limit],
    );
    return rows.map((f) => ({ id: f.id, tick: f.tick, runId: f.run_id, skipped: f.skipped, at: f.at, runStatus: f.run_status }));
  }

  /** Claims a tick: its fire id, or null when another process recorded this tick already. */
  async claimFire(scheduleId: string, tick: Date): Promise<string | null> {
    const inserted: { id: string }[] = await this.m.query(`INSERT INTO schedule_fire (schedule_id, tick) VALUES ($1, $2) ON CONFLICT (schedule_id, tick) DO NOTHING RETURNING id`, [scheduleId, tick]);
    return inserted[0]?.id ?? null;
  }

  async fireSkipped(fireId: string, reason: string): Promise<void> {
    await this.m.query(`UPDATE schedule_fire SET skipped = $2 WHERE id = $1`, [fireId, reason]);
  }

  async fireStarted(fireId: string, runId: string): Promise<void> {
    await this.m.query(`UPDATE schedule_fire SET run_id = $2 WHERE id = $1`, [fireId, runId]);
  }
}
