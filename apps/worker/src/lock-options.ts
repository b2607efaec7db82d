import { loadConfig, type RetortConfig } from '@retort/contracts';

/**
 * Lock and stalled-check timings for long jobs, read from the environment when the worker's
 * processors are defined (decorator options are fixed at class definition).
 */
export function lockOptions(config: RetortConfig = loadConfig()): { lockDuration: number; stalledInterval: number; maxStalledCount: number } {
  return { lockDuration: config.jobLockMs, stalledInterval: config.stalledCheckMs, maxStalledCount: 3 };
}

/**
 * The longest a SIGKILLed worker's job waits for another worker: its lock lapses at most
 * `lockDuration` after the last renewal, and the next stalled check (every `stalledInterval`) moves
 * it back to the wait list, where an idle worker takes it at once.
 */
export function takeoverBoundMs(options: { lockDuration: number; stalledInterval: number }): number {
  return options.lockDuration + options.stalledInterval;
}
