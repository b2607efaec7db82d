import { z } from 'zod';
import { jsonObject, serialId, timestamp } from './fields';

export const ScheduleResponseSchema = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  /** The pipeline to start (ScheduleTemplateSchema). */
  template: jsonObject,
  gate: jsonObject,
  autoPromote: z.boolean(),
  enabled: z.boolean(),
  lastFiredAt: timestamp.nullable(),
  lastRunId: z.uuid().nullable(),
  createdAt: timestamp,
});

/** One schedule: its next five fire times (none while paused) and its last 50 ticks. */
export const ScheduleDetailResponseSchema = ScheduleResponseSchema.extend({
  nextFireTimes: z.array(timestamp),
  fires: z.array(
    z.strictObject({ id: serialId, tick: timestamp, runId: z.uuid().nullable(), skipped: z.string().nullable(), at: timestamp, runStatus: z.string().nullable() }),
  ),
});

export const ScheduleTriggeredResponseSchema = z.strictObject({ queued: z.literal(true) });
