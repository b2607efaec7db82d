/**
 * Errors of the teacher client. Every failure of complete() is a TeacherError whose message names
 * the endpoint, the HTTP status and the server's own message, so it can be stored as is on a
 * generation result and shown to the user.
 */

import { serverErrorMessage } from '@retort/contracts';

export type TeacherErrorKind =
  /** The server answered with a non-2xx status. */
  | 'http'
  /** No complete answer within timeoutMs. */
  | 'timeout'
  /** Refused, reset, DNS failure… */
  | 'connection'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** A 2xx answer that is not a chat completion. */
  | 'protocol';

export class TeacherError extends Error {
  override name = 'TeacherError';
  constructor(
    message: string,
    readonly kind: TeacherErrorKind,
    readonly status?: number,
    /** The server's message (error.message, error, message or detail of its JSON body, or its text). */
    readonly serverMessage?: string,
    readonly retryable = false,
    /** Milliseconds the server asked to wait (Retry-After / retry-after-ms), when it did. */
    readonly retryAfterMs?: number,
    /** HTTP attempts made before giving up (set when complete() fails). */
    public attempts = 1,
  ) {
    super(message);
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof TeacherError ? err.kind === 'aborted' : err instanceof Error && err.name === 'AbortError';
}

export function abortError(what = 'teacher request'): TeacherError {
  return new TeacherError(`${what} aborted`, 'aborted');
}

/** 408, 409, 429 and 5xx are worth another try; other statuses will not change on their own. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** The human message inside an error body (see serverErrorMessage in @retort/contracts). */
export const serverMessageOf = (text: string): string => serverErrorMessage(text);

