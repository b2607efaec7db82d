/**
 * The teacher client: chat completions against any OpenAI-compatible server over undici (Node's
 * own HTTP client, used directly: `request` costs a fraction of `fetch` per call), with Retort's
 * scheduling around it: bounded concurrency, requests/tokens-per-minute buckets, retries with
 * backoff and Retry-After, per-attempt timeouts, cancellation, and the `n` fallback for servers
 * that return fewer samples than asked.
 */
import { STATUS_CODES } from 'node:http';
import { Agent, request as undiciRequest } from 'undici';
import { abortError, retryableStatus, serverMessageOf, TeacherError } from './errors';
import { splitReasoning } from './reasoning';
import { backoffDelay, linkedController, parseRetryAfter, RateLimiter, Semaphore, sleep } from './schedule';
import type {
  CompleteOptions,
  ConnectionTestResult,
  TeacherClient,
  TeacherClientConfig,
  TeacherRequest,
  TeacherResult,
  TeacherSample,
  TeacherStats,
  TeacherUsage,
  TokenLogprob,
  TopLogprob,
} from './types';

export const TEACHER_DEFAULTS = {
  maxConcurrency: 8,
  timeoutMs: 120_000,
  maxRetries: 5,
  backoff: { baseMs: 500, maxMs: 30_000 },
  maxRetryAfterMs: 600_000,
} as const;

/** Most top logprobs an OpenAI-compatible server returns per token. */
export const MAX_TOP_LOGPROBS = 20;

/** `http://host:8000` → `http://host:8000/v1`; any other path is kept (minus a trailing slash). */
export function normalizeBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`invalid teacher base URL ${JSON.stringify(baseUrl)}: expected e.g. http://host:8000/v1`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`teacher base URL must be http(s), got ${JSON.stringify(baseUrl)}`);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1';
  return url.toString().replace(/\/+$/, '');
}

/** The estimate the tokens-per-minute bucket is charged before a request: prompt chars / 4 + n × max_tokens. */
export function estimateTokens(request: Pick<TeacherRequest, 'messages' | 'max_tokens'>, n = 1): { prompt: number; completion: number } {
  const chars = request.messages.reduce((sum, m) => sum + (m.content?.length ?? 0), 0);
  return { prompt: Math.ceil(chars / 4), completion: n * request.max_tokens };
}

export function validateRequest(request: TeacherRequest): void {
  if (!Array.isArray(request.messages) || request.messages.length === 0) throw new RangeError('teacher request needs at least one message');
  if (!Number.isInteger(request.max_tokens) || request.max_tokens < 1) throw new RangeError(`max_tokens must be a positive integer, got ${request.max_tokens}`);
  const n = request.n ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  const k = request.logprobs;
  if (k !== undefined && (!Number.isInteger(k) || k < 0 || k > MAX_TOP_LOGPROBS)) {
    throw new RangeError(`logprobs (top-k) must be an integer in 0..${MAX_TOP_LOGPROBS}, got ${k}`);
  }
}

interface CallResult {
  choices: any[];
  usage: TeacherUsage;
  attempts: number;
}

export function createTeacherClient(config: TeacherClientConfig): TeacherClient {
  const baseUrl = normalizeBaseUrl(config.baseUrl);
  const model = config.model;
  if (!model) throw new Error('teacher model is required');
  const maxConcurrency = config.maxConcurrency ?? TEACHER_DEFAULTS.maxConcurrency;
  const timeoutMs = Math.ceil(config.timeoutMs ?? TEACHER_DEFAULTS.timeoutMs);
  const maxRetries = config.maxRetries ?? TEACHER_DEFAULTS.maxRetries;
  const backoff = config.backoff ?? TEACHER_DEFAULTS.backoff;
  const maxRetryAfterMs = config.maxRetryAfterMs ?? TEACHER_DEFAULTS.maxRetryAfterMs;
  const random = config.random ?? Math.random;
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${config.timeoutMs}`);
  if (!(maxRetries >= 0)) throw new RangeError(`maxRetries must be >= 0, got ${maxRetries}`);

  const where = `teacher ${model} at ${baseUrl}`;
  const dispatcher = new Agent({ headersTimeout: timeoutMs + 1000, bodyTimeout: timeoutMs + 1000 });
  const baseHeaders: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': 'retort-teacher',
    ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
    ...lowerKeys(config.headers),
  };
  let closed = false;
  const semaphore = new Semaphore(maxConcurrency);
  const limiter = new RateLimiter({ requestsPerMinute: config.requestsPerMinute, tokensPerMinute: config.tokensPerMinute });
  const counters = { inFlight: 0, requests: 0, retries: 0, rateLimited: 0, failures: 0, promptTokens: 0, completionTokens: 0 };
  /** The most choices this server has returned for one request, once it returned fewer than asked. */
  let serverMaxN: number | undefined;

  /**
   * One HTTP exchange, bounded by `limitMs` until the whole body is read. Resolves to the parsed
   * JSON of a 2xx answer; anything else becomes a TeacherError saying what happened.
   */
  async function exchange(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal,
    headers?: Record<string, string>,
    limitMs = timeoutMs,
  ): Promise<any> {
    if (closed) throw new TeacherError(`${where}: the client is closed`, 'connection');
    const { controller, dispose } = linkedController(signal);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, limitMs);
    let status: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const res = await undiciRequest(`${baseUrl}${path}`, {
        method,
        headers: headers ? { ...baseHeaders, ...lowerKeys(headers) } : baseHeaders,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        dispatcher,
      });
      status = res.statusCode;
      responseHeaders = res.headers;
      text = await res.body.text();
    } catch (err) {
      if (signal.aborted) throw abortError(`${where}: request`);
      const code = (err as { code?: string })?.code;
      if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new TeacherError(`${where}: no answer within ${limitMs} ms`, 'timeout', undefined, undefined, true);
      }
      const cause = describeCause(err);
      throw new TeacherError(`${where}: connection failed${cause ? ` (${cause})` : ''}`, 'connection', undefined, undefined, true);
    } finally {
      clearTimeout(timer);
      dispose();
    }
    if (status < 200 || status >= 300) {
      const message = serverMessageOf(text) || '(empty body)';
      const retryAfterMs = parseRetryAfter({ get: (name) => first(responseHeaders[name]) });
      const label = STATUS_CODES[status] ? `${status} ${STATUS_CODES[status]}` : String(status);
      throw new TeacherError(`${where}: HTTP ${label}: ${message}`, 'http', status, message, retryableStatus(status), retryAfterMs);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new TeacherError(`${where}: ${method} ${path} answered ${status} with something other than JSON: ${JSON.stringify(text.slice(0, 200))}`, 'protocol');
    }
  }

  function observe(outcome: string, sentAt: number, usage?: TeacherUsage): void {
    try {
      config.observer?.attempt(outcome, (performance.now() - sentAt) / 1000, usage);
    } catch {
      // A broken metrics sink must not fail a generation.
    }
  }

  /** One request for k samples, with its retries. */
  async function call(request: TeacherRequest, k: number, seedOffset: number, signal: AbortSignal, headers?: Record<string, string>): Promise<CallResult> {
    // Only role and content go out: a dataset message's own fields (loss weights…) are not the server's business.
    const messages = request.messages.map((m) => ({ role: m.role, content: m.content }));
    const body: Record<string, unknown> = { model, messages, n: k, max_tokens: request.max_tokens };
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.top_p !== undefined) body.top_p = request.top_p;
    if (request.stop?.length) body.stop = request.stop;
    if (request.seed !== undefined) body.seed = request.seed + seedOffset;
    if (request.logprobs !== undefined) Object.assign(body, { logprobs: true, top_logprobs: request.logprobs });
    Object.assign(body, request.extra);
    const estimate = estimateTokens(request, k);
    const estimated = estimate.prompt + estimate.completion;

    for (let attempt = 1; ; attempt++) {
      let delay = 0;
      const release = await semaphore.acquire(signal);
      let sent = false;
      let sentAt = 0;
      try {
        await limiter.acquire(estimated, signal);
        sent = true;
        sentAt = performance.now();
        counters.requests++;
        counters.inFlight++;
        let completion: any;
        try {
          completion = await exchange('POST', '/chat/completions', body, signal, headers);
        } finally {
          counters.inFlight--;
        }
        if (!completion || !Array.isArray(completion.choices)) {
          throw new TeacherError(`${where}: answer has no choices array: ${JSON.stringify(completion)?.slice(0, 200)}`, 'protocol');
        }
        const choices = completion.choices.slice(0, k);
        const usage: TeacherUsage = completion.usage
          ? { promptTokens: completion.usage.prompt_tokens ?? 0, completionTokens: completion.usage.completion_tokens ?? 0 }
          : { promptTokens: estimate.prompt, completionTokens: choices.reduce((s: number, c: any) => s + approxTokens(c?.message), 0) };
        limiter.settle(estimated, usage.promptTokens + usage.completionTokens);
        counters.promptTokens += usage.promptTokens;
        counters.completionTokens += usage.completionTokens;
        observe('ok', sentAt, usage);
        return { choices, usage, attempts: attempt };
      } catch (e) {
        const err = e instanceof TeacherError ? e : new TeacherError(`${where}: ${(e as Error)?.message ?? String(e)}`, 'protocol');
        // A failed request generated nothing: charge the prompt estimate only.
        if (sent) limiter.settle(estimated, estimate.prompt);
        err.attempts = attempt;
        if (sent && err.kind !== 'aborted' && !signal.aborted) observe(err.kind === 'http' ? String(err.status) : err.kind, sentAt);
        if (err.kind === 'aborted' || signal.aborted) throw err.kind === 'aborted' ? err : abortError(`${where}: request`);
        if (err.status === 429) counters.rateLimited++;
        if (!err.retryable || attempt > maxRetries) {
          if (attempt > 1) err.message += ` (gave up after ${attempt} attempts)`;
          throw err;
        }
        if (err.retryAfterMs !== undefined && err.retryAfterMs > maxRetryAfterMs) {
          err.message += ` (the server asks to retry after ${(err.retryAfterMs / 1000).toFixed(0)} s, more than maxRetryAfterMs ${maxRetryAfterMs} ms)`;
          throw err;
        }
        delay = err.retryAfterMs ?? backoffDelay(attempt, backoff, random);
        if (err.status === 429 && err.retryAfterMs !== undefined) limiter.pause(delay);
        counters.retries++;
      } finally {
        release();
      }
      await sleep(delay, signal);
    }
  }

  function toSample(choice: any, index: number, withLogprobs: boolean): TeacherSample {
    const finishReason = choice?.finish_reason ?? 'unknown';
    const { content, reasoning } = splitReasoning(choice?.message ?? {}, finishReason);
    const sample: TeacherSample = { index, content, reasoning, finishReason };
    const tokens = choice?.logprobs?.content;
    if (withLogprobs && Array.isArray(tokens)) sample.logprobs = tokens.map(toTokenLogprob);
    return sample;
  }

  async function complete(request: TeacherRequest, options: CompleteOptions = {}): Promise<TeacherResult> {
    validateRequest(request);
    const started = performance.now();
    const want = request.n ?? 1;
    const { controller, dispose } = linkedController(config.signal, options.signal);
    const samples: TeacherSample[] = [];
    const usage: TeacherUsage = { promptTokens: 0, completionTokens: 0 };
    let attempts = 0;
    /** Seed offset of the next request: its first sample's index, and past every offset used (seeds never repeat). */
    let nextOffset = 0;
    try {
      while (samples.length < want) {
        const remaining = want - samples.length;
        const per = Math.min(remaining, serverMaxN ?? remaining);
        const sizes = Array.from({ length: Math.ceil(remaining / per) }, (_, i) => Math.min(per, remaining - i * per));
        let offset = Math.max(samples.length, nextOffset);
        const calls = sizes.map((k) => {
          const seedOffset = offset;
          nextOffset = seedOffset + 1;
          offset += k;
          return call(request, k, seedOffset, controller.signal, options.headers).then((r) => ({ ...r, k }));
        });
        const settled = await Promise.allSettled(calls.map((p) => p.catch((err) => (controller.abort(), Promise.reject(err)))));
        const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as TeacherError);
        if (failed.length) {
          attempts += failed.reduce((sum, e) => sum + (e.attempts ?? 0), 0);
          throw failed.find((e) => e.kind !== 'aborted') ?? failed[0];
        }
        let got = 0;
        for (const s of settled as PromiseFulfilledResult<CallResult & { k: number }>[]) {
          const r = s.value;
          attempts += r.attempts;
          usage.promptTokens += r.usage.promptTokens;
          usage.completionTokens += r.usage.completionTokens;
          if (r.choices.length < r.k && r.choices.length > 0) serverMaxN = Math.min(serverMaxN ?? Infinity, r.choices.length);
          for (const choice of r.choices) {
            if (samples.length < want) samples.push(toSample(choice, samples.length, request.logprobs !== undefined));
          }
          got += r.choices.length;
        }
        if (got === 0) throw new TeacherError(`${where}: the server returned no choices`, 'protocol');
      }
    } catch (err) {
      const e = err instanceof TeacherError ? err : new TeacherError(`${where}: ${(err as Error)?.message ?? String(err)}`, 'protocol');
      if (e.kind !== 'aborted') counters.failures++;
      e.attempts = Math.max(attempts, 1);
      throw e;
    } finally {
      dispose();
    }
    return { samples, usage, latencyMs: performance.now() - started, attempts };
  }

  async function testConnection(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ConnectionTestResult> {
    const started = performance.now();
    const limit = Math.ceil(options.timeoutMs ?? Math.min(timeoutMs, 30_000));
    const elapsed = () => performance.now() - started;
    const { controller, dispose } = linkedController(config.signal, options.signal);
    let models: string[] | undefined;
    try {
      try {
        const list = await exchange('GET', '/models', undefined, controller.signal, undefined, limit);
        if (Array.isArray(list?.data)) models = list.data.map((m: any) => String(m?.id));
        if (models?.includes(model)) return { ok: true, models, latencyMs: elapsed() };
      } catch (err) {
        if (isAborted(err)) throw err;
        // Not every server lists models (or lists them under the name asked for): the chat probe decides.
      }
      await exchange('POST', '/chat/completions', { model, messages: [{ role: 'user', content: 'Reply with OK.' }], max_tokens: 1 }, controller.signal, undefined, limit);
      return { ok: true, models, latencyMs: elapsed() };
    } catch (err) {
      const listed = models?.length ? `; the server lists ${models.slice(0, 20).join(', ')}` : '';
      return { ok: false, models, latencyMs: elapsed(), error: `${(err as Error).message}${listed}` };
    } finally {
      dispose();
    }
  }

  async function contextLength(options: { timeoutMs?: number } = {}): Promise<number | undefined> {
    const { controller, dispose } = linkedController(config.signal);
    try {
      const list = await exchange('GET', '/models', undefined, controller.signal, undefined, Math.ceil(options.timeoutMs ?? Math.min(timeoutMs, 5_000)));
      const entry = Array.isArray(list?.data) ? list.data.find((m: any) => String(m?.id) === model) : undefined;
      // vLLM and retort serve say max_model_len; other OpenAI-compatible servers context_length.
      const n = Number(entry?.max_model_len ?? entry?.context_length);
      return Number.isSafeInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    } finally {
      dispose();
    }
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await dispatcher.close();
  }

  function stats(): TeacherStats {
    return { ...counters, waiting: semaphore.waiting + limiter.waiting };
  }

  return { model, baseUrl, maxConcurrency, complete, testConnection, contextLength, stats, close };
}

function toTopLogprob(t: any): TopLogprob {
  const out: TopLogprob = { token: String(t?.token ?? ''), logprob: Number(t?.logprob) };
  if (Array.isArray(t?.bytes)) out.bytes = t.bytes.map(Number);
  return out;
}

function toTokenLogprob(t: any): TokenLogprob {
  return { ...toTopLogprob(t), top: Array.isArray(t?.top_logprobs) ? t.top_logprobs.map(toTopLogprob) : [] };
}

function approxTokens(message: any): number {
  const chars = (message?.content?.length ?? 0) + (message?.reasoning_content?.length ?? message?.reasoning?.length ?? 0);
  return Math.ceil(chars / 4);
}

function describeCause(cause: unknown): string {
  const parts: string[] = [];
  let c: any = cause;
  for (let i = 0; c && i < 4; i++, c = c.cause) {
    const text = c.code && !String(c.message ?? '').includes(c.code) ? `${c.code}${c.message ? ` ${c.message}` : ''}` : c.message;
    if (text && !parts.includes(text)) parts.push(text);
  }
  return parts.join(': ');
}

function first(v: string | string[] | undefined): string | null {
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

function lowerKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}

function isAborted(err: unknown): boolean {
  return err instanceof TeacherError && err.kind === 'aborted';
}
