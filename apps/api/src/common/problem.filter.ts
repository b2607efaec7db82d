import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { ZodError } from 'zod';
import { PROBLEM_BASE, type Problem } from '@retort/contracts';
import { sendProblem } from './problem';
import { zodFieldErrors } from './zod-body';

const TYPES: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable-content',
  429: 'too-many-requests',
  503: 'service-unavailable',
};

/** Every error leaves the API as RFC 9457 application/problem+json. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly log = new Logger('http');

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const problem = this.toProblem(err);
    if (problem.status >= 500) this.log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    else if (err instanceof QueryFailedError) this.log.warn(`a request reached Postgres with a value it refused: ${err.message}`);
    if (res.headersSent) {
      res.end();
      return;
    }
    sendProblem(res, problem);
  }

  private toProblem(err: unknown): Problem {
    if (err instanceof ZodError) {
      return { type: PROBLEM_BASE + 'validation', title: 'Validation failed', status: 400, detail: 'the request body is invalid', errors: zodFieldErrors(err) };
    }
    if (err instanceof HttpException) {
      const status = err.getStatus();
      const body = err.getResponse();
      if (typeof body === 'object' && body !== null && 'type' in body && 'detail' in body) return body as Problem;
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? err.message);
      const type = TYPES[status] ?? 'http-error';
      return { type: PROBLEM_BASE + type, title: err.name.replace(/Exception$/, ''), status, detail: Array.isArray(message) ? message.join('; ') : String(message) };
    }
    if (err instanceof QueryFailedError && (err as unknown as { code?: string }).code === '23505') {
      return { type: PROBLEM_BASE + 'conflict', title: 'Conflict', status: HttpStatus.CONFLICT, detail: String((err as unknown as { detail?: string }).detail ?? 'already exists') };
    }
    // A backstop: Postgres refusing a value (class 22, "data exception") is the request's fault.
    if (err instanceof QueryFailedError && String((err as unknown as { code?: string }).code).startsWith('22')) {
      return { type: PROBLEM_BASE + 'invalid-value', title: 'Invalid value', status: HttpStatus.BAD_REQUEST, detail: `a value in the request cannot be used: ${err.message}` };
    }
    return { type: PROBLEM_BASE + 'internal', title: 'Internal error', status: 500, detail: 'an unexpected error occurred; see the server log' };
  }
}
