import type { Role } from '@retort/contracts';
import { createHttpClient } from './httpClient';

export const API_URL = '/api/v1';

/** Who a token belongs to, as `GET /api/v1/me` answers. */
export interface Me {
  name: string;
  role: Role;
}

/** Asks the API who `token` is; rejects with an HttpError (401 for an unknown token). */
export async function fetchMe(token: string): Promise<Me> {
  const { json } = await createHttpClient(() => token)(`${API_URL}/me`);
  return json as Me;
}
