/** The teacher protocol as Retort sees it: an OpenAI-compatible chat completion, normalised. */

export type TeacherRole = 'system' | 'user' | 'assistant';

export interface TeacherMessage {
  role: TeacherRole;
  content: string;
}

/** One prompt's generation request. Sampling fields left undefined are not sent (the server's defaults apply). */
export interface TeacherRequest {
  messages: TeacherMessage[];
  /** Samples wanted for this prompt (default 1). Servers that return fewer get extra requests. */
  n?: number;
  temperature?: number;
  top_p?: number;
  /** Completion budget per sample; also the basis of the tokens-per-minute estimate. */
  max_tokens: number;
  stop?: string[];
  /** Sampling seed. When one prompt's samples are split over several requests, request j gets seed + (index of its first sample). */
  seed?: number;
  /** Top-k logprobs per generated token, 0..20 (0: the chosen token's logprob only). Undefined: none requested. */
  logprobs?: number;
  /** Extra body fields for a particular server (e.g. vLLM's `top_k`, `chat_template_kwargs`), sent as given. */
  extra?: Record<string, unknown>;
}

export interface TopLogprob {
  token: string;
  logprob: number;
  /** The token's UTF-8 bytes as the server gave them (exact even for a token that splits a character). */
  bytes?: number[];
}

export interface TokenLogprob extends TopLogprob {
  top: TopLogprob[];
}

/** `stop`, `length`, `content_filter`, `tool_calls`, or whatever the server said (`unknown` when it said nothing). */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'unknown' | (string & {});

export interface TeacherSample {
  /** 0..n-1 within the prompt, in arrival order across requests. */
  index: number;
  /** The answer with any reasoning removed (see splitReasoning). */
  content: string;
  /** The reasoning trace (`reasoning_content` / `reasoning` field or `<think>` blocks), null when there was none. */
  reasoning: string | null;
  finishReason: FinishReason;
  logprobs?: TokenLogprob[];
}

export interface TeacherUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface TeacherResult {
  samples: TeacherSample[];
  /** Summed over the requests that produced the samples (estimated where the server reported no usage). */
  usage: TeacherUsage;
  /** Wall time of complete(), including queueing, rate-limit waits and retries. */
  latencyMs: number;
  /** HTTP attempts made (requests + retries). */
  attempts: number;
}

export interface BackoffConfig {
  /** First retry waits about baseMs (jittered between half and all of it), doubling per attempt. */
  baseMs: number;
  /** Cap of one backoff wait. */
  maxMs: number;
}

export interface TeacherClientConfig {
  /** OpenAI-compatible base URL, e.g. `http://gpu1:8000/v1`. A bare origin (`http://gpu1:8000`) gets `/v1` appended. */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer …`; no Authorization header at all when absent. */
  apiKey?: string;
  /** Requests in flight at once (default 8). */
  maxConcurrency?: number;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** Per attempt, until the whole body is read (default 120 000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 5). */
  maxRetries?: number;
  /** Default { baseMs: 500, maxMs: 30 000 }. */
  backoff?: BackoffConfig;
  /** Aborts every wait and request of this client. */
  signal?: AbortSignal;
  /** Jitter source in [0, 1); default Math.random. Use seededRandom(seed) for reproducible schedules. */
  random?: () => number;
  /** A Retry-After longer than this is not waited out: the request fails naming it (default 600 000). */
  maxRetryAfterMs?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Told about every HTTP attempt of complete() (metrics); its errors are not the client's. */
  observer?: TeacherObserver;
}

/**
 * What the client reports per chat completion attempt. `outcome` is `ok`, the HTTP status of a
 * failed answer (`429`, `503`, …) or the failure kind (`timeout`, `connection`, `protocol`).
 */
export interface TeacherObserver {
  attempt(outcome: string, seconds: number, usage?: TeacherUsage): void;
}

export interface CompleteOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export interface ConnectionTestResult {
  ok: boolean;
  /** Model ids from GET /models, when the server answered it. */
  models?: string[];
  latencyMs: number;
  error?: string;
}

export interface TeacherStats {
  /** Requests on the wire now. */
  inFlight: number;
  /** Requests waiting for a concurrency slot or the rate limiter. */
  waiting: number;
  /** HTTP attempts sent. */
  requests: number;
  retries: number;
  /** 429 responses seen. */
  rateLimited: number;
  /** complete() calls that ended in an error (aborts excluded). */
  failures: number;
  promptTokens: number;
  completionTokens: number;
}

export interface TeacherClient {
  readonly model: string;
  readonly baseUrl: string;
  readonly maxConcurrency: number;
  complete(request: TeacherRequest, options?: CompleteOptions): Promise<TeacherResult>;
  testConnection(options?: { signal?: AbortSignal }): Promise<ConnectionTestResult>;
  /** The model's context length in tokens when GET /models reports it; undefined when unknown or unreachable. */
  contextLength(options?: { timeoutMs?: number }): Promise<number | undefined>;
  stats(): TeacherStats;
  /** Closes the kept-alive connections; later calls fail. */
  close(): Promise<void>;
}
