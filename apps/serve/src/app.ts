/** The HTTP surface: thin handlers over the registry and the OpenAI service. */
import { timingSafeEqual } from 'node:crypto';
import express, { NextFunction, Request, Response } from 'express';
import { corsFor } from './cors';
import { ApiError, badField, toApiError } from './errors';
import { OpenAIService, Sink } from './openai';
import type { Registry } from './registry';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_PROMPT_CHARS, jsonBodiesOnly, promptSizeLimit } from './request-limits';
import { parseChatRequest, parseCompletionRequest } from './validate';

export interface AppOptions {
  /** When set, /v1/* needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Origins whose web pages may call this server (CORS); none by default. */
  corsOrigins?: string[];
  /** Largest request body; default 4 MiB. */
  maxBodyBytes?: number;
  /** Most characters of prompt text in one request; default 1,000,000. */
  maxPromptChars?: number;
  log?: (line: string) => void;
  version?: string;
}

function sinkFor(res: Response): Sink {
  let streaming = false;
  // The response closed before we finished it: the client went away.
  let gone = false;
  res.once('close', () => (gone = !res.writableFinished));
  return {
    json: (status, body) => {
      res.status(status).json(body);
    },
    startStream: () => {
      streaming = true;
      res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      res.flushHeaders();
    },
    event: (data) => {
      if (streaming && !res.writableEnded) res.write(`data: ${JSON.stringify(data)}\n\n`);
    },
    endStream: () => {
      if (!res.writableEnded) res.end('data: [DONE]\n\n');
    },
    aborted: () => gone,
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether lora_path exists, is a directory or holds an adapter is the server's business: a client
 * gets one answer for every path that cannot be loaded, and the server log the reason.
 */
function loadWithoutDisclosure<T>(load: () => T, log?: (line: string) => void): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ApiError) || err.param !== 'lora_path') throw err;
    log?.(`load_lora_adapter refused: ${err.message}`);
    throw badField('lora_path', 'no PEFT adapter could be loaded from this path (the server log says why)');
  }
}

export function createApp(registry: Registry, opts: AppOptions = {}): express.Express {
  const service = new OpenAIService(registry);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // One log line per request.
  app.use((req, res, next) => {
    const started = Date.now();
    const where = req.originalUrl.split('?')[0];
    res.on('finish', () => {
      if (where !== '/health') opts.log?.(`${req.method} ${where} ${res.statusCode} ${Date.now() - started}ms${req.body?.model ? ` model=${req.body.model}` : ''}`);
    });
    next();
  });
  app.use(corsFor(opts.corsOrigins ?? []));

  app.get('/health', (_req, res) => {
    res.status(200).end();
  });
  app.get('/version', (_req, res) => {
    res.json({ version: opts.version ?? '0.1.0' });
  });

  const v1 = express.Router();
  v1.use((req, _res, next) => {
    if (!opts.apiKey) return next();
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m || !sameSecret(m[1].trim(), opts.apiKey)) {
      return next(new ApiError(401, 'Unauthorized: a valid API key is required (Authorization: Bearer <key>)', 'invalid_request_error', null, 'invalid_api_key'));
    }
    next();
  });
  v1.use(jsonBodiesOnly);
  v1.use(express.json({ limit: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, type: ['application/json', 'application/*+json'] }));
  v1.use(promptSizeLimit(opts.maxPromptChars ?? DEFAULT_MAX_PROMPT_CHARS));

  v1.get('/models', (_req, res) => {
    res.json({ object: 'list', data: registry.list() });
  });
  v1.get('/models/*name', (req, res) => {
    const id = ([] as string[]).concat(req.params.name as unknown as string[]).join('/');
    const card = registry.list().find((m) => m.id === id);
    if (!card) throw new ApiError(404, `The model \`${id}\` does not exist.`, 'NotFoundError', 'model', 'model_not_found');
    res.json(card);
  });

  v1.post('/chat/completions', async (req, res) => {
    await service.chat(parseChatRequest(req.body), sinkFor(res));
  });
  v1.post('/completions', async (req, res) => {
    await service.complete(parseCompletionRequest(req.body), sinkFor(res));
  });

  // vLLM's runtime LoRA API (VLLM_ALLOW_RUNTIME_LORA_UPDATING), with its plain-text success answers.
  v1.post('/load_lora_adapter', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b.lora_name !== 'string' || !b.lora_name) throw badField('lora_name', 'required: a string');
    if (typeof b.lora_path !== 'string' || !b.lora_path) throw badField('lora_path', 'required: a string (a PEFT adapter directory)');
    if (b.base_model_name !== undefined && typeof b.base_model_name !== 'string') throw badField('base_model_name', 'expected a string');
    const entry = loadWithoutDisclosure(() => registry.loadAdapter(b.lora_name as string, b.lora_path as string, b.base_model_name as string | undefined), opts.log);
    opts.log?.(`loaded LoRA adapter ${entry.name} on ${entry.base.name} from ${entry.path}`);
    res.type('text/plain').send(`Success: LoRA adapter '${entry.name}' added successfully.`);
  });
  v1.post('/unload_lora_adapter', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b.lora_name !== 'string' || !b.lora_name) throw badField('lora_name', 'required: a string');
    registry.unloadAdapter(b.lora_name);
    opts.log?.(`unloaded LoRA adapter ${b.lora_name}`);
    res.type('text/plain').send(`Success: LoRA adapter '${b.lora_name}' removed successfully.`);
  });

  app.use('/v1', v1);

  app.use((req, _res, next) => next(new ApiError(404, `${req.method} ${req.path} is not an endpoint of retort serve`, 'NotFoundError')));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = toApiError(err);
    if (e.status >= 500) opts.log?.(`error: ${(err as Error)?.stack ?? e.message}`);
    if (res.headersSent) {
      // Mid-stream: say so in the stream, then close it as a stream ends.
      if (!res.writableEnded) res.end(`data: ${JSON.stringify(e.body())}\n\ndata: [DONE]\n\n`);
      return;
    }
    res.status(e.status).json(e.body());
  });
  return app;
}
