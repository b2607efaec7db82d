/** A failure that another attempt would repeat (bad input, nothing left to train on): no retries. */
export class PermanentRunError extends Error {
  override name = 'PermanentRunError';
}

/**
 * A job naming a run or data set version that this installation's database does not hold: it was
 * queued by another installation on the same Redis and queue prefix. No attempt here can succeed,
 * so it is not retried; the message says how to keep installations apart.
 */
export class ForeignJobError extends PermanentRunError {
  override name = 'ForeignJobError';

  constructor(what: string) {
    super(`${what} does not exist in this installation's database: the job was queued by another installation sharing this Redis and queue prefix (give each its own RETORT_QUEUE_PREFIX)`);
  }
}
