/** A teacher or serving target as the API shows it: `hasApiKey`, never the key. */
export interface Endpoint {
  id: string;
  name: string;
  purpose: 'teacher' | 'serving';
  kind: 'openai' | 'vllm' | 'retort';
  baseUrl: string;
  model: string;
  hasApiKey: boolean;
  maxConcurrency: number;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  timeoutMs: number;
  createdAt: string;
}

/** `POST /endpoints/:id/test`: the endpoint's model list with the stored key. */
export interface ConnectionTest {
  ok: boolean;
  models?: string[];
  /** Whether the endpoint's configured model is among `models`. */
  modelListed?: boolean;
  latencyMs: number;
  error?: string;
}
