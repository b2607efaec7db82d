import type { RequestHandler } from 'express';
import { ApiError, badField } from './errors';

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Characters of prompt text one request may send: tokenizing is the cost a huge prompt stalls the server with. */
export const DEFAULT_MAX_PROMPT_CHARS = 1_000_000;

/** JSON bodies only, as vLLM: a form post or text/plain from a web page is not a request here. */
export const jsonBodiesOnly: RequestHandler = (req, _res, next) => {
  if (req.method !== 'POST' || req.is(['application/json', 'application/*+json'])) return next();
  next(new ApiError(415, `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`, 'invalid_request_error', null, 'unsupported_media_type'));
};

/** Refuses a chat or completion request whose prompt text is longer than `maxChars`, before it is tokenized. */
export function promptSizeLimit(maxChars: number): RequestHandler {
  return (req, _res, next) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    for (const field of ['messages', 'prompt'] as const) {
      const chars = textLength(body[field], 0, maxChars);
      if (chars > maxChars) return next(badField(field, `the prompt text is longer than this server's limit of ${maxChars} characters`));
    }
    next();
  };
}

/** Characters in every string of a JSON value, stopping once past `limit`. */
function textLength(value: unknown, sum: number, limit: number): number {
  if (typeof value === 'string') return sum + value.length;
  if (value === null || typeof value !== 'object') return sum;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    sum = textLength(item, sum, limit);
    if (sum > limit) break;
  }
  return sum;
}
