import { parseExpression } from 'cron-parser';
import { z } from 'zod';
import { CreatePipelineRunSchema, GateRulesSchema } from './runs';

/** A pipeline whose data sets are chosen when the schedule fires: the latest ready version of each. */
export const ScheduleTemplateSchema = CreatePipelineRunSchema.omit({ kind: true, prompts: true, evalDatasetVersion: true, gate: true, autoPromote: true }).extend({
  dataset: z.string().min(1),
  evalDataset: z.string().min(1),
});
export type ScheduleTemplate = z.infer<typeof ScheduleTemplateSchema>;

export function cronProblem(cron: string, timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return `unknown time zone "${timezone}"`;
  }
  const fields = cron.trim().split(/\s+/).length;
  if (!cron.trim().startsWith('@') && fields !== 5 && fields !== 6) return `invalid cron expression "${cron}": expected 5 fields (minute hour day month weekday), or 6 with seconds first; got ${fields}`;
  try {
    parseExpression(cron, { tz: timezone });
    return undefined;
  } catch (err) {
    return `invalid cron expression "${cron}": ${(err as Error).message}`;
  }
}

/** The next n times a cron expression fires in a time zone. */
export function nextFireTimes(cron: string, timezone: string, n = 5, from = new Date()): Date[] {
  const it = parseExpression(cron, { tz: timezone, currentDate: from });
  return Array.from({ length: n }, () => it.next().toDate());
}

const scheduleFields = {
  name: z.string().min(1).max(100).regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit'),
  /** Monthly by default: 03:00 on the 1st. Five fields, or six with seconds. */
  cron: z.string().min(1).default('0 3 1 * *'),
  timezone: z.string().min(1).default('UTC'),
  template: ScheduleTemplateSchema,
  gate: GateRulesSchema.default({}),
  /** Promote the candidate to production when the pipeline succeeds and the gate passes. */
  autoPromote: z.boolean().default(false),
  enabled: z.boolean().default(true),
};

const cronRefinement = (v: { cron?: string; timezone?: string }, ctx: z.RefinementCtx) => {
  if (v.cron === undefined && v.timezone === undefined) return;
  const problem = cronProblem(v.cron ?? '0 3 1 * *', v.timezone ?? 'UTC');
  if (problem) ctx.addIssue({ code: 'custom', path: [problem.startsWith('unknown time zone') ? 'timezone' : 'cron'], message: problem });
};

export const CreateScheduleSchema = z.object(scheduleFields).strict().superRefine(cronRefinement);
export type CreateScheduleDto = z.infer<typeof CreateScheduleSchema>;

export const UpdateScheduleSchema = z
  .object({ cron: z.string().min(1), timezone: z.string().min(1), template: ScheduleTemplateSchema, gate: GateRulesSchema, autoPromote: z.boolean(), enabled: z.boolean() })
  .partial()
  .strict()
  .superRefine(cronRefinement);
export type UpdateScheduleDto = z.infer<typeof UpdateScheduleSchema>;
