import { Command } from 'commander';
import { corsOriginsFromEnv, defaultServePort, startServe, type ServeAdapterSpec, type ServeModelSpec, type ServeOptions } from '@retort/serve';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `NAME=DIR`, or a bare `DIR` (name: none given). Windows drive letters are not names. */
function splitSpec(spec: string, flag: string): { name?: string; dir: string } {
  const eq = spec.indexOf('=');
  if (eq < 0) return { dir: spec };
  const name = spec.slice(0, eq).trim();
  const dir = spec.slice(eq + 1).trim();
  if (!name || !dir) throw new Error(`${flag}: expected NAME=DIR, got "${spec}"`);
  return { name, dir };
}

function int(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: expected a non-negative integer, got "${v}"`);
    return n;
  };
}

export interface ServeFlags {
  model: string[];
  name?: string;
  adapter?: string[];
  host: string;
  port?: number;
  apiKey?: string;
  corsOrigins?: string;
  maxBodyBytes?: number;
  maxPromptChars?: number;
  quant: string;
  maxModelLen?: number;
}

/** The command line's flags as startServe's options. */
export function serveOptions(o: ServeFlags): ServeOptions {
  const quant = o.quant;
  if (quant !== 'none' && quant !== 'nf4') throw new Error(`--quant: "${quant}" is not none or nf4`);
  const models: ServeModelSpec[] = o.model.map((s) => splitSpec(s, '--model'));
  if (o.name) {
    if (models.length > 1) throw new Error('--name: with several models, name each one as --model NAME=DIR');
    models[0].name = o.name;
  }
  const adapters: ServeAdapterSpec[] = (o.adapter ?? []).map((s) => {
    const { name, dir } = splitSpec(s, '--adapter');
    if (!name) throw new Error(`--adapter: expected NAME=DIR, got "${s}"`);
    return { name, path: dir };
  });
  const corsOrigins = o.corsOrigins === undefined ? undefined : corsOriginsFromEnv(o.corsOrigins);
  return { models, adapters, host: o.host, port: o.port ?? defaultServePort(), apiKey: o.apiKey, corsOrigins, maxBodyBytes: o.maxBodyBytes, maxPromptChars: o.maxPromptChars, quant, maxModelLen: o.maxModelLen };
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('OpenAI-compatible inference server with multi-LoRA hot loading (vLLM-compatible runtime LoRA API)')
    .requiredOption('--model <dir>', 'base model directory (HF layout); NAME=DIR to name it; repeat for several', collect)
    .option('--name <name>', 'served name of the model (default: the directory name)')
    .option('--adapter <name=dir>', 'PEFT LoRA adapter to load at start, selected by "model": NAME; repeat for several', collect)
    .option('--host <host>', 'address to listen on', process.env.RETORT_SERVE_HOST || '127.0.0.1')
    .option('--port <port>', 'port (default: RETORT_SERVE_PORT, else 3001; 0 picks a free one)', int('--port'))
    .option('--api-key <key>', 'require Authorization: Bearer KEY on /v1 (default: RETORT_SERVE_API_KEY)')
    .option('--cors-origins <list>', 'origins (comma-separated) whose web pages may call it (default: RETORT_SERVE_CORS_ORIGINS, else none)')
    .option('--max-body-bytes <n>', 'largest request body (default 4 MiB)', int('--max-body-bytes'))
    .option('--max-prompt-chars <n>', 'most characters of prompt text per request (default 1000000)', int('--max-prompt-chars'))
    .option('--quant <quant>', 'storage of the frozen base weights: none | nf4 (QLoRA)', 'none')
    .option('--max-model-len <n>', 'cap on prompt + completion tokens (default: the model\'s context)', int('--max-model-len'))
    .action(async (o: ServeFlags, cmd: Command) => {
      const json = Boolean(cmd.optsWithGlobals().json);
      const handle = await startServe(serveOptions(o));
      const served = handle.registry.list().map((m) => m.id as string);
      if (json) process.stdout.write(JSON.stringify({ url: handle.url, base_url: `${handle.url}/v1`, models: served }) + '\n');
      else process.stdout.write(`retort serve: ${handle.url}/v1 (models: ${served.join(', ')}). Press Ctrl-C to stop.\n`);
      const stop = () => {
        void handle.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
