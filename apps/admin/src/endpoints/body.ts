import type { Endpoint } from './types';

/** Form values: the endpoint plus the write-only key and the "remove key" box. */
export type EndpointFormValues = Partial<Endpoint> & { apiKey?: string | null; removeApiKey?: boolean };

/**
 * Turns form values into the API body: an empty key field means "keep the stored key" (or "no
 * key" on create), "remove key" sends `apiKey: null`.
 */
export function endpointBody(values: EndpointFormValues): Record<string, unknown> {
  const { removeApiKey, apiKey, ...rest } = values;
  const body: Record<string, unknown> = { ...rest };
  delete body.hasApiKey;
  if (removeApiKey) body.apiKey = null;
  else if (typeof apiKey === 'string' && apiKey.length > 0) body.apiKey = apiKey;
  return body;
}
