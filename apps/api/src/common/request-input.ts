import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { unstorableTextIssues } from '@retort/datasets';
import { problemOf, sendProblem } from './problem';

/** The body parser's own errors (too large, not JSON, bad charset) as problems, not the default HTML page. */
export function bodyParserProblems(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  const e = err as { status?: number; type?: string; limit?: number; message?: string };
  if (!e || typeof e.status !== 'number' || e.status >= 500 || typeof e.type !== 'string') return next(err);
  if (e.type === 'entity.too.large') return sendProblem(res, problemOf(413, 'payload-too-large', `the request body is larger than the limit of ${e.limit} bytes`, { errors: [{ path: '', message: 'too large' }] }));
  if (e.type === 'entity.parse.failed') return sendProblem(res, problemOf(400, 'invalid-json', `the request body is not valid JSON: ${e.message}`, { errors: [{ path: '', message: 'invalid JSON' }] }));
  sendProblem(res, problemOf(e.status, 'bad-request', e.message ?? 'the request body cannot be read'));
}

/**
 * Refuses, before any handler runs, path segments, query values and JSON body strings that
 * Postgres cannot store (NUL, unpaired surrogates): each would otherwise fail a query with a 500.
 */
export const refuseUnstorableInput: RequestHandler = (req, res, next) => {
  const errors = [...unstorableTextIssues(decodedPath(req.path), 'path'), ...unstorableTextIssues(req.query, 'query'), ...unstorableTextIssues(req.body)];
  if (!errors.length) return next();
  sendProblem(res, problemOf(400, 'validation', 'the request holds characters that cannot be stored (NUL or an unpaired UTF-16 surrogate)', { errors }));
};

function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path; // malformed escapes are the router's to refuse
  }
}
