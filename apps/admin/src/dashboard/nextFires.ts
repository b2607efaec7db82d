import type { Schedule } from '../schedules/types';
import { previewCron } from '../schedules/cron';

export interface UpcomingFire {
  schedule: Schedule;
  at: Date;
}

/** The next fire of each enabled schedule, soonest first (computed here: the list omits them). */
export function upcomingFires(schedules: Schedule[], limit: number, from = new Date()): UpcomingFire[] {
  return schedules
    .filter((s) => s.enabled)
    .flatMap((s) => previewCron(s.cron, s.timezone, 1, from).next.map((at) => ({ schedule: s, at })))
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .slice(0, limit);
}
