import { cronProblem, nextFireTimes } from '@retort/contracts';
import cronstrue from 'cronstrue';

export const DEFAULT_CRON = '0 3 1 * *';

export interface CronPreview {
  /** "At 03:00, on day 1 of the month" */
  description?: string;
  /** The next fire times, computed here with the API's own cron-parser code (contracts). */
  next: Date[];
  error?: string;
}

/** Plain language (cronstrue) and the next n fire times of a cron expression in a time zone. */
export function previewCron(cron: string | undefined, timezone: string | undefined, n = 5, from = new Date()): CronPreview {
  const expr = (cron ?? '').trim();
  if (!expr) return { next: [], error: 'Enter a cron expression' };
  const tz = timezone?.trim() || 'UTC';
  const problem = cronProblem(expr, tz);
  if (problem) return { next: [], error: problem };
  let description: string | undefined;
  try {
    description = cronstrue.toString(expr, { use24HourTimeFormat: true, verbose: false });
  } catch (e) {
    return { next: [], error: String(e) };
  }
  try {
    return { description, next: nextFireTimes(expr, tz, n, from) };
  } catch (e) {
    return { description, next: [], error: (e as Error).message };
  }
}

/** "Mon 1 Dec 2025, 03:00 UTC" in the schedule's time zone. */
export function formatInZone(date: Date | string, timezone: string): string {
  const d = typeof date === 'string' ? new Date(date) : date;
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: timezone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(d);
  } catch {
    return d.toISOString();
  }
}

/** Time zones the browser knows (a datalist for the time zone field). */
export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.('timeZone') ?? [];
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}
