import type { CreateEndpointDto } from '@retort/contracts';
import { createServingClient, type ServingClient, type ServingClientConfig } from './client';
import { createOpenAiServingClient } from './openai-target';

/** What server an endpoint is (stored with it; libs/contracts): vllm, retort (serve) or openai. */
export type EndpointKind = CreateEndpointDto['kind'];

/**
 * The serving client of each endpoint kind. A new serving target is a kind in libs/contracts and
 * its client here; the Record makes a kind without one a type error.
 */
const SERVING_CLIENTS: Record<EndpointKind, (config: ServingClientConfig) => ServingClient> = {
  vllm: createServingClient,
  // retort serve implements vLLM's runtime LoRA routes.
  retort: createServingClient,
  openai: createOpenAiServingClient,
};

/** The client that loads adapters on an endpoint of this kind. */
export function servingClientFor(kind: EndpointKind, config: ServingClientConfig): ServingClient {
  const create = SERVING_CLIENTS[kind];
  if (!create) throw new RangeError(`unknown endpoint kind ${JSON.stringify(kind)}; known: ${Object.keys(SERVING_CLIENTS).join(', ')}`);
  return create(config);
}
