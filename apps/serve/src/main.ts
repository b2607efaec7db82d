/**
 * retort serve: an OpenAI-compatible inference server on the engine with multi-LoRA hot loading —
 * /v1/chat/completions and /v1/completions (streamed or whole, with logprobs), /v1/models, and vLLM's
 * runtime /v1/load_lora_adapter and /v1/unload_lora_adapter, so that it and vLLM are interchangeable.
 */
import type { AddressInfo } from 'node:net';
import * as http from 'node:http';
import { initBackend } from '@retort/engine';
import { createApp } from './app';
import { corsOriginsFromEnv } from './cors';
import { Quant, Registry } from './registry';

export { createApp } from './app';
export type { AppOptions } from './app';
export { Registry } from './registry';
export type { AdapterEntry, BaseModel, Quant } from './registry';
export { ApiError } from './errors';
export { corsOriginsFromEnv } from './cors';
export { generateSteps } from './generation';
export type { Step, StepOptions } from './generation';

export const DEFAULT_SERVE_PORT = 3001;

export interface ServeModelSpec {
  /** Served name; defaults to the directory's base name. */
  name?: string;
  /** Hugging Face layout directory (config.json, safetensors, tokenizer files). */
  dir: string;
}

export interface ServeAdapterSpec {
  name: string;
  /** PEFT adapter directory. */
  path: string;
  /** The base it goes on, when several are served. */
  base?: string;
}

export interface ServeOptions {
  /** Base models (at least one). */
  models: ServeModelSpec[];
  /** Adapters to load at start; more can be loaded at run time. */
  adapters?: ServeAdapterSpec[];
  host?: string;
  /** 0 picks a free port. Default: RETORT_SERVE_PORT, else 3001. */
  port?: number;
  /** Bearer key for /v1/*; default RETORT_SERVE_API_KEY; empty: no auth. */
  apiKey?: string;
  /** Origins allowed to call from a web page (CORS); default RETORT_SERVE_CORS_ORIGINS, else none. */
  corsOrigins?: string[];
  /** Largest request body in bytes (default 4 MiB). */
  maxBodyBytes?: number;
  /** Most characters of prompt text in one request (default 1,000,000). */
  maxPromptChars?: number;
  /** nf4 stores the frozen base weights as NF4 (QLoRA). */
  quant?: Quant;
  /** Caps prompt + completion tokens below the model's own limit. */
  maxModelLen?: number;
  /** tfjs backend (RETORT_BACKEND when unset). */
  backend?: string;
  log?: (line: string) => void;
}

export interface ServeHandle {
  url: string;
  port: number;
  server: http.Server;
  registry: Registry;
  close(): Promise<void>;
}

export function defaultServePort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.RETORT_SERVE_PORT;
  if (raw === undefined || raw === '') return DEFAULT_SERVE_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`RETORT_SERVE_PORT=${raw} is not a port number`);
  return port;
}

/** Loads the models and adapters, then listens; resolves once the server accepts connections. */
export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[serve] ${line}\n`));
  if (!options.models.length) throw new Error('serve: at least one model is needed (--model DIR)');
  await initBackend(options.backend, log);
  const registry = new Registry();
  try {
    for (const m of options.models) {
      const started = Date.now();
      const base = registry.addBase({ name: m.name, dir: m.dir, quant: options.quant, maxModelLen: options.maxModelLen });
      const c = base.model.config;
      log(`model ${base.name}: ${c.family}, ${c.numLayers} layers, hidden ${c.hiddenSize}, vocab ${c.vocabSize}, context ${base.maxModelLen}${base.quant !== 'none' ? `, ${base.quant}` : ''} (${Date.now() - started} ms) from ${base.dir}`);
    }
    for (const a of options.adapters ?? []) {
      const entry = registry.loadAdapter(a.name, a.path, a.base);
      log(`adapter ${entry.name} on ${entry.base.name} from ${entry.path}`);
    }
  } catch (err) {
    registry.dispose();
    throw err;
  }
  const apiKey = options.apiKey ?? (process.env.RETORT_SERVE_API_KEY || undefined);
  const corsOrigins = options.corsOrigins ?? corsOriginsFromEnv(process.env.RETORT_SERVE_CORS_ORIGINS);
  const app = createApp(registry, { apiKey, corsOrigins, maxBodyBytes: options.maxBodyBytes, maxPromptChars: options.maxPromptChars, log });
  const server = http.createServer(app);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? defaultServePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${actual}`;
  log(`listening on ${url}/v1${apiKey ? ' (API key required)' : ' (no API key: any local process may use it)'}${corsOrigins.length ? `; CORS for ${corsOrigins.join(', ')}` : ''}`);
  let closed: Promise<void> | undefined;
  return {
    url,
    port: actual,
    server,
    registry,
    close: () =>
      (closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        // Generations in flight see their clients gone and stop at the next token; wait for them.
        for (const base of registry.bases.values()) (await base.lock.acquire())();
        registry.dispose();
      })()),
  };
}
