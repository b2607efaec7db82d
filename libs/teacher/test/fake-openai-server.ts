/**
 * A small latency-injected OpenAI-compatible server for the teacher tests and bench (node:http, no
 * dependencies): GET /v1/models and POST /v1/chat/completions with `n`, `logprobs`/`top_logprobs`,
 * reasoning in a field or inline, configurable latency and per-request failure injection (any
 * status with headers, e.g. 429 + Retry-After; hangs; connection resets). It counts what it sees:
 * requests in flight (and the most at once), arrival times, and per-prompt requests received and
 * answers fully sent. Not exported through src.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeAction =
  /** Answer with this status and body (JSON-encoded unless a string) instead of a completion. */
  | { status: number; body?: unknown; headers?: Record<string, string>; latencyMs?: number }
  /** Never answer; the connection stays open until the client gives up. */
  | { hang: true }
  /** Reset the connection without answering. */
  | { destroy: true }
  /** Answer normally after this latency. */
  | { latencyMs: number };

export interface FakeRequest {
  /** 0-based arrival order over the server's life (reset() restarts it). */
  index: number;
  /** The last user message: the key of the per-prompt counts. */
  prompt: string;
  body: any;
  headers: http.IncomingHttpHeaders;
}

export interface FakeAnswer {
  content: string;
  reasoning?: string;
  finishReason?: string;
}

export interface FakeOpenAIOptions {
  model?: string;
  /** Latency of every answer (ms), default 0. */
  latencyMs?: number;
  /** Most choices per answer whatever `n` asks (1: the server ignores n). */
  maxN?: number;
  /** Where reasoning goes: not generated, `reasoning_content` field, or inline `<think>` block. */
  reasoning?: 'none' | 'field' | 'inline';
  /** usage.completion_tokens per choice: a number, or (default) the answer's whitespace tokens. */
  completionTokensPerChoice?: number;
  /** Serve GET /v1/models (default true). */
  models?: boolean;
  /** The context length GET /v1/models reports, as vLLM's max_model_len (not reported when unset). */
  maxModelLen?: number;
  /** Require `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Failure injection, asked once per chat request. */
  respond?: (req: FakeRequest) => FakeAction | undefined;
  /** The i-th choice's answer; default `answer <i> to: <prompt>`. */
  answer?: (req: FakeRequest, i: number) => string | FakeAnswer;
}

export interface FakeStats {
  requests: number;
  inFlight: number;
  maxInFlight: number;
  /** ms since start (or reset) of each chat request's arrival. */
  arrivals: number[];
  bodies: any[];
  headers: http.IncomingHttpHeaders[];
  received: Map<string, number>;
  /** Completions fully written to a connection that was still open. */
  answered: Map<string, number>;
}

export interface FakeOpenAIServer {
  /** Origin, e.g. http://127.0.0.1:PORT. */
  url: string;
  /** url + '/v1'. */
  baseUrl: string;
  stats: FakeStats;
  options: FakeOpenAIOptions;
  reset(): void;
  close(): Promise<void>;
}

function emptyStats(): FakeStats {
  return { requests: 0, inFlight: 0, maxInFlight: 0, arrivals: [], bodies: [], headers: [], received: new Map(), answered: new Map() };
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAIServer> {
  const model = options.model ?? 'teacher';
  let stats = emptyStats();
  let started = performance.now();
  let created = 0;

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const completion = (req: FakeRequest) => {
    const body = req.body;
    const n = Math.min(Number(body.n ?? 1), options.maxN ?? Infinity);
    const k = body.logprobs ? Number(body.top_logprobs ?? 0) : -1;
    let completionTokens = 0;
    const choices = Array.from({ length: n }, (_, i) => {
      const raw = options.answer?.(req, i) ?? `answer ${i} to: ${req.prompt}`;
      const a: FakeAnswer = typeof raw === 'string' ? { content: raw } : raw;
      const reasoning = a.reasoning ?? (options.reasoning && options.reasoning !== 'none' ? `thinking ${i} about: ${req.prompt}` : undefined);
      const message: Record<string, unknown> = { role: 'assistant', content: a.content };
      if (reasoning !== undefined && options.reasoning === 'inline') message.content = `<think>\n${reasoning}\n</think>\n\n${a.content}`;
      else if (reasoning !== undefined) message.reasoning_content = reasoning;
      const tokens = String(message.content).split(/(?=\s)/).filter((t) => t !== '');
      completionTokens += options.completionTokensPerChoice ?? tokens.length;
      const logprobs =
        k < 0
          ? null
          : {
              content: tokens.map((token, j) => ({
                token,
                logprob: -0.01 * (j + 1),
                bytes: null,
                top_logprobs: Array.from({ length: k }, (_, m) => ({ token: m === 0 ? token : `${token}~${m}`, logprob: -0.01 * (j + 1) - m, bytes: null })),
              })),
            };
      return { index: i, message, logprobs, finish_reason: a.finishReason ?? 'stop' };
    });
    const promptChars = (body.messages ?? []).reduce((s: number, m: any) => s + String(m.content ?? '').length, 0);
    return {
      id: `chatcmpl-${++created}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices,
      usage: { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: completionTokens, total_tokens: Math.ceil(promptChars / 4) + completionTokens },
    };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return send(res, 401, { error: { message: 'Invalid API key', type: 'authentication_error' } });
      }
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/v1/models') {
        if (options.models === false) return send(res, 404, { detail: 'Not Found' });
        const context = options.maxModelLen === undefined ? {} : { max_model_len: options.maxModelLen };
        return send(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'retort-test', ...context }] });
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') return send(res, 404, { detail: 'Not Found' });
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { object: 'error', message: 'body is not JSON', type: 'BadRequestError', code: 400 });
      }
      const messages: any[] = Array.isArray(body.messages) ? body.messages : [];
      const prompt = String([...messages].reverse().find((m) => m.role === 'user')?.content ?? '');
      const fake: FakeRequest = { index: stats.requests, prompt, body, headers: req.headers };
      const s = stats;
      s.requests++;
      s.arrivals.push(performance.now() - started);
      s.bodies.push(body);
      s.headers.push(req.headers);
      s.received.set(prompt, (s.received.get(prompt) ?? 0) + 1);
      s.inFlight++;
      s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
      let timer: ReturnType<typeof setTimeout> | undefined;
      res.on('close', () => {
        clearTimeout(timer);
        s.inFlight--;
      });
      const action = options.respond?.(fake);
      if (action && 'hang' in action) return;
      if (action && 'destroy' in action) return void req.socket.destroy();
      const latency = action?.latencyMs ?? options.latencyMs ?? 0;
      const respond = () => {
        if (res.destroyed) return;
        if (action && 'status' in action) return send(res, action.status, action.body ?? { error: { message: `injected ${action.status}` } }, action.headers);
        const answer = completion(fake);
        res.on('finish', () => s.answered.set(prompt, (s.answered.get(prompt) ?? 0) + 1));
        send(res, 200, answer);
      };
      if (latency > 0) timer = setTimeout(respond, latency);
      else respond();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    get stats() {
      return stats;
    },
    options,
    reset() {
      stats = emptyStats();
      started = performance.now();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
