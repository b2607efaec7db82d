import type { Command } from 'commander';

const DEFAULT_WAIT_S = 600;

/**
 * How long a CLI wait (`dataset push` for its import, `--watch`) goes on while nothing changes:
 * `--wait-timeout SECONDS`, else RETORT_WAIT_TIMEOUT, else 10 minutes. A long training run that
 * makes progress is watched to its end; a job that no worker takes is not waited for forever.
 */
export function waitTimeoutMs(program: Command): number {
  const flag = program.opts().waitTimeout as string | undefined;
  const [raw, source] = flag !== undefined ? [flag, '--wait-timeout'] : [process.env.RETORT_WAIT_TIMEOUT || undefined, 'RETORT_WAIT_TIMEOUT'];
  if (raw === undefined) return DEFAULT_WAIT_S * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`${source}: must be a positive number of seconds (got ${JSON.stringify(raw)})`);
  return seconds * 1000;
}

/**
 * Call with what the wait sees on every poll; it throws once that has not changed for `timeoutMs`,
 * saying what it was waiting for and how to wait longer.
 */
export function stallGuard(timeoutMs: number): (seen: string, waitingFor: () => string) => void {
  let last: string | undefined;
  let since = Date.now();
  return (seen, waitingFor) => {
    if (seen !== last) {
      last = seen;
      since = Date.now();
      return;
    }
    if (Date.now() - since < timeoutMs) return;
    throw new Error(
      `stopped waiting: ${waitingFor()}, unchanged for ${timeoutMs / 1000} s. Is a worker running on this installation's Redis and queue prefix? ` +
        'Wait longer with --wait-timeout SECONDS or RETORT_WAIT_TIMEOUT.',
    );
  };
}
