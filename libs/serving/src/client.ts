/**
 * The serving-target client: vLLM's runtime LoRA API (and retort serve, which implements the same
 * endpoints) under the OpenAI root of the server, e.g. http://host:8000/v1:
 *
 *   GET  {root}/models                 bases and loaded adapters
 *   POST {root}/load_lora_adapter      {lora_name, lora_path[, base_model_name]} → 200 text; 400 if the name is loaded
 *   POST {root}/unload_lora_adapter    {lora_name} → 200 text; 404 (older vLLM: 400) if unknown
 *   POST {root}/chat/completions       "model": lora_name selects the adapter
 *
 * vLLM needs `--enable-lora` and `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True` for the two adapter routes.
 * Plain fetch, no retries: every call here changes or probes what production serves, and the
 * promotion procedure decides what to do about a failure.
 */
import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ServingError, serverMessageOf } from './errors';

export const SERVING_DEFAULTS = {
  /** Per request, body included. Loading an adapter reads its files and, on vLLM, moves them to the GPU. */
  timeoutMs: 60_000,
} as const;

export interface ServingClientConfig {
  /** The OpenAI root of the server, e.g. http://host:8000/v1 (a bare origin gets /v1). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` (vLLM / retort serve `--api-key`). */
  apiKey?: string;
  /** Limit of each request, body included (default 60 s). */
  timeoutMs?: number;
}

export interface ServedModel {
  id: string;
  /** The base an adapter applies to; null (or absent) for a base model. */
  parent: string | null;
  /** A base's directory or an adapter's path, as the server reports it. */
  root?: string;
  maxModelLen?: number;
}

export interface LoadAdapterOptions {
  /** The base to attach the adapter to, on servers with several bases (vLLM: one base). */
  baseModelName?: string;
}

export interface SmokeTestOptions {
  /** The user message of the one-request test. */
  prompt: string;
  maxTokens: number;
  /**
   * An extra check of the answer: return a sentence saying what is wrong, or nothing when it is
   * acceptable. An empty answer is not a failure by itself (a model may stop at once).
   */
  check?: (text: string) => string | undefined | void;
}

export interface SmokeTestResult {
  model: string;
  text: string;
  /** Wall time of the request (ms). */
  latencyMs: number;
  finishReason?: string;
  completionTokens?: number;
}

export interface ServingClient {
  /** The normalised OpenAI root, e.g. http://host:8000/v1. */
  readonly baseUrl: string;
  listModels(): Promise<ServedModel[]>;
  /** Loads the PEFT directory `path` (as the serving host sees it) under `name`. */
  loadAdapter(name: string, path: string, options?: LoadAdapterOptions): Promise<void>;
  unloadAdapter(name: string): Promise<void>;
  /** One chat completion with `model` = name, temperature 0; throws on an error or no choices. */
  smokeTest(model: string, options: SmokeTestOptions): Promise<SmokeTestResult>;
}

/** `http://host:8000` → `http://host:8000/v1`; any other path is kept (minus a trailing slash). */
export function normalizeServingUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`invalid serving base URL ${JSON.stringify(baseUrl)}: expected e.g. http://host:8000/v1`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`serving base URL must be http(s), got ${JSON.stringify(baseUrl)}`);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1';
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

export function createServingClient(config: ServingClientConfig): ServingClient {
  const baseUrl = normalizeServingUrl(config.baseUrl);
  const timeoutMs = Math.ceil(config.timeoutMs ?? SERVING_DEFAULTS.timeoutMs);
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${config.timeoutMs}`);
  const headers: Record<string, string> = {
    accept: 'application/json, text/plain;q=0.9',
    'user-agent': 'retort-serving',
    ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
  };

  /** One exchange; resolves to the body text of a 2xx answer, anything else is a ServingError. */
  async function exchange(method: 'GET' | 'POST', path: string, body: unknown, what: string): Promise<string> {
    const url = `${baseUrl}${path}`;
    const at = `${method} ${url}${what ? ` (${what})` : ''}`;
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new ServingError(`${at}: no answer within ${timeoutMs} ms`, 'timeout', url);
      const cause = describeCause(err);
      throw new ServingError(`${at}: connection failed${cause ? ` (${cause})` : ''}`, 'connection', url);
    }
    if (status < 200 || status >= 300) {
      const message = serverMessage(text);
      const label = STATUS_CODES[status] ? `${status} ${STATUS_CODES[status]}` : String(status);
      throw new ServingError(`${at}: HTTP ${label}: ${message}`, 'http', url, status, message);
    }
    return text;
  }

  function json(text: string, method: string, path: string): any {
    try {
      return JSON.parse(text);
    } catch {
      throw new ServingError(`${method} ${baseUrl}${path} answered with something other than JSON: ${JSON.stringify(text.slice(0, 200))}`, 'protocol', `${baseUrl}${path}`);
    }
  }

  return {
    baseUrl,

    async listModels() {
      const body = json(await exchange('GET', '/models', undefined, ''), 'GET', '/models');
      if (!body || !Array.isArray(body.data)) {
        throw new ServingError(`GET ${baseUrl}/models: answer has no data array: ${JSON.stringify(body)?.slice(0, 200)}`, 'protocol', `${baseUrl}/models`);
      }
      return body.data
        .filter((m: any) => m && typeof m.id === 'string')
        .map((m: any): ServedModel => ({
          id: m.id,
          parent: typeof m.parent === 'string' ? m.parent : null,
          ...(typeof m.root === 'string' ? { root: m.root } : {}),
          ...(typeof m.max_model_len === 'number' ? { maxModelLen: m.max_model_len } : {}),
        }));
    },

    async loadAdapter(name, path, options = {}) {
      requireName('adapter name', name);
      requireName('adapter path', path);
      const body: Record<string, string> = { lora_name: name, lora_path: path };
      if (options.baseModelName) body.base_model_name = options.baseModelName;
      await exchange('POST', '/load_lora_adapter', body, `${name} from ${path}`);
    },

    async unloadAdapter(name) {
      requireName('adapter name', name);
      await exchange('POST', '/unload_lora_adapter', { lora_name: name }, name);
    },

    async smokeTest(model, options) {
      requireName('model', model);
      if (typeof options?.prompt !== 'string' || !options.prompt) throw new RangeError('smoke test needs a prompt');
      if (!Number.isInteger(options.maxTokens) || options.maxTokens < 1) throw new RangeError(`smoke test maxTokens must be a positive integer, got ${options.maxTokens}`);
      const url = `${baseUrl}/chat/completions`;
      const request = { model, messages: [{ role: 'user', content: options.prompt }], max_tokens: options.maxTokens, temperature: 0, n: 1, stream: false };
      const started = performance.now();
      const body = json(await exchange('POST', '/chat/completions', request, `smoke test of ${model}`), 'POST', '/chat/completions');
      const latencyMs = Math.round(performance.now() - started);
      const fail = (why: string): never => {
        throw new ServingError(`smoke test of ${model} at ${url}: ${why}`, 'protocol', url, 200);
      };
      if (!body || !Array.isArray(body.choices)) fail(`answer has no choices array: ${JSON.stringify(body)?.slice(0, 200)}`);
      if (body.choices.length === 0) fail('the server answered an empty choice list');
      // vLLM and retort serve answer with the name the request used; another name means the request
      // did not reach the adapter (a proxy or server that falls back to a default model).
      if (typeof body.model === 'string' && body.model !== model) fail(`the answer came from model "${body.model}", not "${model}"`);
      const choice = body.choices[0];
      const content = choice?.message?.content;
      if (content !== null && content !== undefined && typeof content !== 'string') fail(`choice 0 has no text content: ${JSON.stringify(choice).slice(0, 200)}`);
      const text = (content as string | null | undefined) ?? '';
      const problem = options.check?.(text);
      if (problem) fail(`${problem} (answer: ${JSON.stringify(text.slice(0, 200))})`);
      return {
        model,
        text,
        latencyMs,
        ...(typeof choice?.finish_reason === 'string' ? { finishReason: choice.finish_reason } : {}),
        ...(typeof body.usage?.completion_tokens === 'number' ? { completionTokens: body.usage.completion_tokens } : {}),
      };
    },
  };
}

function requireName(what: string, value: unknown): void {
  if (typeof value !== 'string' || !value) throw new RangeError(`${what} must be a non-empty string, got ${JSON.stringify(value)}`);
}

function serverMessage(text: string): string {
  return serverMessageOf(text) || '(empty body)';
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: any })?.cause;
  const c = cause ?? err;
  const code = c?.code ?? c?.errno;
  const message = c?.message;
  return [code, message && message !== code ? message : undefined].filter(Boolean).join(': ');
}
