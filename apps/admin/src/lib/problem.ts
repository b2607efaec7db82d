import type { FieldError, Problem } from '@retort/contracts';

/** True when a parsed response body looks like RFC 9457 problem details. */
export function isProblem(body: unknown): body is Problem {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Problem).status === 'number' &&
    (typeof (body as Problem).detail === 'string' || typeof (body as Problem).title === 'string')
  );
}

/** The message a person should read for a failed request: the problem's `detail`, else its title. */
export function problemMessage(body: unknown, fallback: string): string {
  if (isProblem(body)) return body.detail || body.title || fallback;
  return fallback;
}

/** The field errors of a problem (`errors: [{line?, path, message}]`), empty when there are none. */
export function problemErrors(body: unknown): FieldError[] {
  if (isProblem(body) && Array.isArray(body.errors)) return body.errors;
  return [];
}

/**
 * Problem `errors` as react-admin forms expect them on `error.body.errors`: `{ field: message }`
 * (paths like "name", "/name" or "body.name" all land on the `name` input). Errors without a path
 * are left out: the notification shows the problem's detail for those.
 */
export function fieldErrorMap(errors: FieldError[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const { path, message } of errors) {
    const field = (path ?? '').replace(/^\/+/, '').replace(/^body[./]/, '').replace(/\//g, '.');
    if (field && !(field in map)) map[field] = message;
  }
  return map;
}
