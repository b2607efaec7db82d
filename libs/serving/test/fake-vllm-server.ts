/**
 * A small node:http server with vLLM's runtime LoRA semantics, for the serving tests (not exported
 * through src):
 *
 *   GET  /v1/models               the base (parent null) and each loaded adapter (parent: the base, root: its path)
 *   POST /v1/load_lora_adapter    {lora_name, lora_path} → 200 "Success: LoRA adapter 'x' added successfully."
 *                                 400 InvalidUserInput when the name is loaded (or is the base's name);
 *                                 a load marked with failLoad() → 404 NotFoundError "No adapter found …" (as vLLM)
 *   POST /v1/unload_lora_adapter  {lora_name} → 200 text; 404 NotFoundError when unknown
 *   POST /v1/chat/completions     "model": a loaded adapter → "<lora_name> says hi from <lora_path>";
 *                                 the base → "<base> says hi"; unknown → 404 NotFoundError
 *
 * Errors in vLLM ≥ 0.10's shape {error: {message, type, code}}, or with legacyErrors the older
 * top-level {object: "error", message, type, code}. failChat() makes the completions of an adapter
 * (by name, path or both) fail: a status, or an empty choice list. Every request is logged in `calls`.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ChatFailure = { status: number; message?: string } | 'empty';

/** Which requests a failure applies to: every given field must match (the adapter name, its path). */
export interface Match {
  name?: string;
  path?: string;
}

export interface FakeVllmOptions {
  base?: string;
  apiKey?: string;
  legacyErrors?: boolean;
  /** Delay of every answer (ms). */
  latencyMs?: number;
}

export interface FakeCall {
  method: string;
  path: string;
  body?: any;
  status: number;
}

export interface FakeVllmServer {
  /** Origin, e.g. http://127.0.0.1:PORT. */
  url: string;
  /** url + '/v1'. */
  baseUrl: string;
  /** Loaded adapters: name → path. */
  adapters: Map<string, string>;
  calls: FakeCall[];
  /** Matching loads fail (404 "No adapter found", or the given status and message). */
  failLoad(match: Match, failure?: { status: number; message: string }): void;
  /** Completions of a matching adapter fail. */
  failChat(match: Match, failure: ChatFailure): void;
  /** Forget the failures, the calls, and (with adapters) the loaded adapters. */
  reset(adapters?: boolean): void;
  close(): Promise<void>;
}

export async function startFakeVllm(options: FakeVllmOptions = {}): Promise<FakeVllmServer> {
  const base = options.base ?? 'base-model';
  const adapters = new Map<string, string>();
  const loadFailures: { match: Match; failure?: { status: number; message: string } }[] = [];
  const chatFailures: { match: Match; failure: ChatFailure }[] = [];
  const matches = (m: Match, name: string, path: string) => (m.name === undefined || m.name === name) && (m.path === undefined || m.path === path);
  const calls: FakeCall[] = [];
  let counter = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const path = (req.url ?? '').split('?')[0];
      const call: FakeCall = { method: req.method ?? '', path, ...(body !== undefined ? { body } : {}), status: 0 };
      calls.push(call);
      const send = (status: number, payload: unknown, type = 'application/json') => {
        call.status = status;
        const out = typeof payload === 'string' ? payload : JSON.stringify(payload);
        setTimeout(() => {
          res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(out) });
          res.end(out);
        }, options.latencyMs ?? 0);
      };
      const error = (status: number, message: string, type: string) =>
        send(status, options.legacyErrors ? { object: 'error', message, type, param: null, code: status } : { error: { message, type, param: null, code: status } });

      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) return error(401, 'Unauthorized', 'invalid_api_key');

      if (req.method === 'GET' && path === '/v1/models') {
        const data = [
          { id: base, object: 'model', created: 0, owned_by: 'vllm', root: `/models/${base}`, parent: null, max_model_len: 4096 },
          ...[...adapters].map(([id, root]) => ({ id, object: 'model', created: 0, owned_by: 'vllm', root, parent: base })),
        ];
        return send(200, { object: 'list', data });
      }
      if (req.method !== 'POST') return error(404, `${req.method} ${path} not found`, 'NotFoundError');

      if (path === '/v1/load_lora_adapter') {
        const name = body?.lora_name;
        const lpath = body?.lora_path;
        if (!name || !lpath) return error(400, "Both 'lora_name' and 'lora_path' must be provided.", 'InvalidUserInput');
        if (adapters.has(name) || name === base) return error(400, `The lora adapter '${name}' has already been loaded.`, 'InvalidUserInput');
        const hit = loadFailures.find((f) => matches(f.match, name, lpath));
        if (hit) {
          const failure = hit.failure ?? { status: 404, message: `Loading lora ${name} failed: No adapter found for ${lpath}` };
          return error(failure.status, failure.message, failure.status === 404 ? 'NotFoundError' : 'BadRequestError');
        }
        adapters.set(name, lpath);
        counter++;
        return send(200, `Success: LoRA adapter '${name}' added successfully.`, 'text/plain; charset=utf-8');
      }
      if (path === '/v1/unload_lora_adapter') {
        const name = body?.lora_name;
        if (!name) return error(400, "either 'lora_name' and 'lora_int_id' needs to be provided.", 'InvalidUserInput');
        if (!adapters.has(name)) return error(404, `The lora adapter '${name}' cannot be found.`, 'NotFoundError');
        adapters.delete(name);
        return send(200, `Success: LoRA adapter '${name}' removed successfully.`, 'text/plain; charset=utf-8');
      }
      if (path === '/v1/chat/completions') {
        const model = body?.model;
        if (!Array.isArray(body?.messages)) return error(400, 'messages: Field required', 'BadRequestError');
        let content: string;
        if (model === base) content = `${base} says hi`;
        else if (typeof model === 'string' && adapters.has(model)) {
          const lpath = adapters.get(model)!;
          const failure = chatFailures.find((f) => matches(f.match, model, lpath))?.failure;
          if (failure === 'empty') return send(200, completion(model, []));
          if (failure) return error(failure.status, failure.message ?? 'Internal Server Error', failure.status >= 500 ? 'InternalServerError' : 'BadRequestError');
          content = `${model} says hi from ${lpath}`;
        } else return error(404, `The model \`${model}\` does not exist.`, 'NotFoundError');
        return send(200, completion(model, [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }]));
      }
      return error(404, `POST ${path} not found`, 'NotFoundError');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function completion(model: string, choices: unknown[]) {
    return { id: `chatcmpl-${counter}`, object: 'chat.completion', created: 0, model, choices, usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } };
  }

  return {
    url,
    baseUrl: `${url}/v1`,
    adapters,
    calls,
    failLoad: (match, failure) => void loadFailures.push({ match, failure }),
    failChat: (match, failure) => void chatFailures.push({ match, failure }),
    reset(clearAdapters = false) {
      loadFailures.length = 0;
      chatFailures.length = 0;
      calls.length = 0;
      if (clearAdapters) adapters.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
