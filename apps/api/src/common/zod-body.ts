import type { ZodError, ZodType } from 'zod';
import type { FieldError } from '@retort/contracts';
import { ProblemException } from './problem';

export function zodFieldErrors(err: ZodError): FieldError[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Validates a JSON body with a contracts schema; the 400 lists each field's problem. */
export function parseBody<T>(schema: ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    throw new ProblemException(400, 'validation', 'the request body is invalid', { errors: zodFieldErrors(parsed.error) });
  }
  return parsed.data;
}

/** The same for query parameters (a 400 naming each bad parameter). */
export function parseQuery<T>(schema: ZodType<T>, query: unknown): T {
  const parsed = schema.safeParse(query ?? {});
  if (!parsed.success) {
    throw new ProblemException(400, 'invalid-query', 'invalid query parameters', { errors: zodFieldErrors(parsed.error) });
  }
  return parsed.data;
}
