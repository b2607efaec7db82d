import { loadConfig } from '@retort/contracts';

/**
 * Lock and stalled-check timings for long jobs, read from the environment when the worker's
 * processors are defined (decorator options are fixed at class definition).
 */
export function lockOptions(): { lockDuration: number; stalledInterval: number; maxStalledCount: number } {
  const config = loadConfig();
  return { lockDuration: config.jobLockMs, stalledInterval: config.stalledCheckMs, maxStalledCount: 3 };
}
