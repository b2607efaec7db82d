import { createServingClient, type ServingClient, type ServingClientConfig } from './client';
import { ServingError } from './errors';

/** Statuses of a server that has no such route (FastAPI 404/405, a proxy's 501). */
const NO_ROUTE = [404, 405, 501];

/**
 * A plain OpenAI-compatible server as a serving target. Such a server may well be a vLLM (kind
 * openai is the default), so the adapter routes are still tried; when a load fails as a missing
 * route would, the error says that this kind may not load adapters at all and what to use instead.
 */
export function createOpenAiServingClient(config: ServingClientConfig): ServingClient {
  const client = createServingClient(config);
  return {
    ...client,
    async loadAdapter(name, path, options) {
      try {
        await client.loadAdapter(name, path, options);
      } catch (err) {
        if (!(err instanceof ServingError) || err.kind !== 'http' || !NO_ROUTE.includes(err.status ?? 0)) throw err;
        const hint =
          'the endpoint is of kind openai, and a plain OpenAI-compatible server cannot load LoRA adapters at runtime: ' +
          'serve adapters from vLLM (kind vllm, started with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True) or retort serve (kind retort)';
        throw new ServingError(`${err.message} (${hint})`, err.kind, err.url, err.status, err.serverMessage);
      }
    },
  };
}
