import { Body } from '@nestjs/common';
import type { ZodError, ZodType } from 'zod';
import type { FieldError } from '@retort/contracts';
import { ProblemException } from './problem';
import { ApiZodBody } from './zod-openapi';

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

/**
 * The handler's JSON body, validated by a contracts schema (parseBody's 400 when it is invalid)
 * and documented by it in OpenAPI: one schema for both, so the document cannot drift. Like any
 * pipe it runs after the guards, so 401 and 403 still come first.
 */
export function ZodBody(schema: ZodType): ParameterDecorator {
  const pipe = {
    async transform(body: unknown) {
      // Nest resolves a handler's parameters together and answers the first failure. Waiting one
      // turn lets the other parameters' pipes (ParseUUIDPipe…) fail first, as they did when the
      // handler parsed its body itself: a bad id stays a bad id whatever the body.
      await new Promise((resolve) => setImmediate(resolve));
      return parseBody(schema, body);
    },
  };
  return (target, key, index) => {
    Body(pipe)(target, key, index);
    if (key === undefined) throw new TypeError('@ZodBody() decorates a handler parameter');
    ApiZodBody(schema)(target, key, Object.getOwnPropertyDescriptor(target, key)!);
  };
}

/** The same for query parameters (a 400 naming each bad parameter). */
export function parseQuery<T>(schema: ZodType<T>, query: unknown): T {
  const parsed = schema.safeParse(query ?? {});
  if (!parsed.success) {
    throw new ProblemException(400, 'invalid-query', 'invalid query parameters', { errors: zodFieldErrors(parsed.error) });
  }
  return parsed.data;
}
