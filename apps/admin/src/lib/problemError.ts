import { HttpError } from 'react-admin';
import { problemMessage } from './problem';

/**
 * An HttpError whose message is the problem's `detail`, so react-admin's notifications show it.
 * The parsed problem stays on `body` for pages that render `errors`.
 */
export function problemError(status: number, statusText: string, body: unknown): HttpError {
  const fallback = status === 0 ? 'The API could not be reached' : statusText || `HTTP ${status}`;
  return new HttpError(problemMessage(body, fallback), status, body);
}
