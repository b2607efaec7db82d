/**
 * Errors of the serving client. Every failure is a ServingError whose message names the endpoint
 * URL, the HTTP status and the server's own message, so it can be stored as is in a promotion log
 * and shown to the user.
 */

import { serverErrorMessage } from '@retort/contracts';

export type ServingErrorKind =
  /** The server answered with a non-2xx status. */
  | 'http'
  /** No complete answer within timeoutMs. */
  | 'timeout'
  /** Refused, reset, DNS failure… */
  | 'connection'
  /** A 2xx answer that is not what the protocol says (no choices, not JSON…). */
  | 'protocol';

export class ServingError extends Error {
  override name = 'ServingError';
  constructor(
    message: string,
    readonly kind: ServingErrorKind,
    /** The URL that was asked, e.g. http://host:8000/v1/load_lora_adapter. */
    readonly url: string,
    readonly status?: number,
    /** The server's message (error.message, message, error or detail of its JSON body, or its text). */
    readonly serverMessage?: string,
  ) {
    super(message);
  }
}

/**
 * Whether an unload (or a request) failed because the server does not know that name. vLLM answers
 * 404 NotFoundError ("The lora adapter 'x' cannot be found."); some older builds answered 400 with
 * the same sentence.
 */
export function isNotLoadedError(err: unknown): boolean {
  if (!(err instanceof ServingError) || err.kind !== 'http') return false;
  if (err.status === 404) return true;
  return err.status === 400 && /cannot be found|not found|does not exist/i.test(err.serverMessage ?? '');
}

/** Whether a load failed because the name is already loaded (vLLM: 400 "… has already been loaded."). */
export function isAlreadyLoadedError(err: unknown): boolean {
  return err instanceof ServingError && err.kind === 'http' && err.status === 400 && /already (been )?loaded|already exists/i.test(err.serverMessage ?? '');
}

/** The human message inside an error body (see serverErrorMessage in @retort/contracts). */
export const serverMessageOf = (text: string): string => serverErrorMessage(text);

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

