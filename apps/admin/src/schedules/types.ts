import type { GateRulesDto, ScheduleTemplate } from '@retort/contracts';

/** One tick of a schedule: the run it started, or why it was skipped. */
export interface ScheduleFire {
  id: string;
  tick: string;
  runId: string | null;
  skipped: string | null;
  runStatus: string | null;
  at?: string;
}

export interface Schedule {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  template: ScheduleTemplate;
  gate: GateRulesDto;
  autoPromote: boolean;
  enabled: boolean;
  lastFiredAt: string | null;
  lastRunId: string | null;
  createdAt: string;
  /** show only: the next five fire times (empty while paused). */
  nextFireTimes?: string[];
  /** show only: the recent ticks, newest first. */
  fires?: ScheduleFire[];
}
