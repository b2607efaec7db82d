import { HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { PROBLEM_BASE, type FieldError, type Problem } from '@retort/contracts';

/** An error answered as application/problem+json with a stable type and optional field errors. */
export class ProblemException extends HttpException {
  constructor(status: number, type: string, detail: string, extra: { errors?: FieldError[]; totalErrors?: number } = {}) {
    super(problemOf(status, type, detail, extra), status);
  }
}

export function problemOf(status: number, type: string, detail: string, extra: { errors?: FieldError[]; totalErrors?: number } = {}): Problem {
  return { type: PROBLEM_BASE + type, title: titleOf(type), status, detail, ...extra };
}

/** Answers a problem directly, for middleware that runs before Nest's exception filter. */
export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

function titleOf(type: string): string {
  return type.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase());
}
