import { fetchUtils, HttpError } from 'react-admin';
import { problemError } from './problemError';
import { getToken } from './token';

export type HttpClient = typeof fetchUtils.fetchJson;

/**
 * fetchJson with `Authorization: Bearer <token>` added, and problem+json errors turned into
 * HttpErrors carrying the problem's `detail` as their message.
 */
export function createHttpClient(token: () => string | null = getToken): HttpClient {
  return async (url, options = {}) => {
    const headers = new Headers(options.headers ?? { Accept: 'application/json' });
    if (!headers.has('Accept')) headers.set('Accept', 'application/json');
    const value = token();
    if (value) headers.set('Authorization', `Bearer ${value}`);
    try {
      return await fetchUtils.fetchJson(url, { ...options, headers });
    } catch (error) {
      if (error instanceof HttpError) throw problemError(error.status, error.message, error.body);
      if (error instanceof TypeError) throw problemError(0, '', null); // network failure
      throw error;
    }
  };
}

export const httpClient = createHttpClient();
