import { HttpException } from '@nestjs/common';
import { PROBLEM_BASE, type FieldError, type Problem } from '@retort/contracts';

/** An error answered as application/problem+json with a stable type and optional field errors. */
export class ProblemException extends HttpException {
  constructor(status: number, type: string, detail: string, extra: { errors?: FieldError[]; totalErrors?: number } = {}) {
    const body: Problem = { type: PROBLEM_BASE + type, title: titleOf(type), status, detail, ...extra };
    super(body, status);
  }
}

function titleOf(type: string): string {
  return type.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase());
}
