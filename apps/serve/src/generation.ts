/**
 * Token-by-token generation on the engine's public pieces (KV cache, lastLogits, sampleToken, Rng),
 * with the same semantics as the engine's `generate` — a test holds the two to the same tokens — but
 * as an async iterator that hands the event loop back between tokens, so that a server can stream
 * each token as it comes and keep answering /health and /v1/models while it generates.
 */
import { disposeCache, emptyCache, lastLogits, Rng, sampleToken } from '@retort/engine';
import type { LoraAdapter, Model } from '@retort/engine';

export interface StepOptions {
  maxNewTokens: number;
  /** 0 is greedy. */
  temperature: number;
  topP: number;
  /** 0 disables. */
  topK: number;
  seed: number;
  /** Alternatives to report per position (0: none). */
  topLogprobs: number;
  /** Generation ends after one of these ids (which is yielded). */
  stopTokenIds: number[];
  lora?: LoraAdapter;
  /** Checked before each forward pass: true ends generation (the client went away). */
  cancelled?: () => boolean;
}

export interface Step {
  id: number;
  /** Log-probability under the model's distribution (before temperature, top-k and top-p), as the engine reports it. */
  logprob: number;
  /** The `topLogprobs` most likely tokens, most likely first (ties: lower id first). */
  top?: { id: number; logprob: number }[];
  /** True when `id` is one of the stop token ids. */
  stopToken: boolean;
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** log-sum-exp in float64, as the engine's logSoftmax computes it. */
function logSumExp(values: Float32Array): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** The k largest entries, ordered by value then by lower index (a stable sort's order), in O(V k). */
export function topK(values: Float32Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (best.length === k && !(v > values[best[k - 1]])) continue;
    // The slot to fill: a new one while fewer than k, else the last (whose index drops out).
    let j = best.length < k ? best.length : k - 1;
    while (j > 0 && values[best[j - 1]] < v) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}

/** Yields one generated token at a time; breaking out of the loop frees the KV cache. */
export async function* generateSteps(model: Model, promptIds: number[], opts: StepOptions): AsyncGenerator<Step> {
  if (!promptIds.length) throw new Error('the prompt is empty');
  const rng = new Rng(opts.seed);
  const stopIds = new Set(opts.stopTokenIds);
  const cache = emptyCache(model);
  try {
    let next = promptIds;
    for (let n = 0; n < opts.maxNewTokens; n++) {
      if (opts.cancelled?.()) return;
      const logits = lastLogits(model, [next], { lora: opts.lora, cache });
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      const id = sampleToken(values, opts, rng);
      const lse = logSumExp(values);
      const step: Step = { id, logprob: values[id] - lse, stopToken: stopIds.has(id) };
      if (opts.topLogprobs > 0) step.top = topK(values, opts.topLogprobs).map((i) => ({ id: i, logprob: values[i] - lse }));
      yield step;
      if (step.stopToken) return;
      next = [id];
      await nextTick();
    }
  } finally {
    disposeCache(cache);
  }
}
