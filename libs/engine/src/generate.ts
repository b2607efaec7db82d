/** Autoregressive generation with a KV cache: greedy or temperature/top-k/top-p sampling, stop sequences, logprobs. */
import * as tf from '@tensorflow/tfjs-core';
import { disposeCache, emptyCache, lastLogits } from './model';
import { Rng } from './rng';
import { LoraAdapter, Model } from './types';

export interface GenerateOptions {
  maxNewTokens?: number;
  /** 0 (default) is greedy decoding. */
  temperature?: number;
  topP?: number;
  /** 0 disables. */
  topK?: number;
  /** Generation ends when one of these token ids is produced (it is kept in `tokens`). */
  stopTokenIds?: number[];
  /** Generation ends when the decoded text contains one of these; the text is cut before it. */
  stop?: string[];
  /** Needed for `stop` and `text`. */
  decode?: (ids: number[]) => string;
  /** Number of alternatives per position to report with their log-probabilities. */
  topLogprobs?: number;
  seed?: number;
  lora?: LoraAdapter;
  /** false recomputes the whole sequence every step (reference for the cache). */
  useCache?: boolean;
}

export interface TokenLogprob {
  id: number;
  /** Log-probability under the model's distribution (before temperature, top-k and top-p). */
  logprob: number;
  top?: { id: number; logprob: number }[];
}

export interface GenerateResult {
  tokens: TokenLogprob[];
  ids: number[];
  text?: string;
  finishReason: 'stop' | 'length';
}

function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(logits, (v) => v - lse);
}

/** Picks the next token from last-position logits. */
export function sampleToken(logits: Float32Array, opts: Pick<GenerateOptions, 'temperature' | 'topK' | 'topP'>, rng: Rng): number {
  const temperature = opts.temperature ?? 0;
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  const lp = logSoftmax(Float32Array.from(logits, (v) => v / temperature));
  let order = Array.from(lp.keys()).sort((a, b) => lp[b] - lp[a]);
  if (opts.topK && opts.topK > 0) order = order.slice(0, opts.topK);
  const topP = opts.topP ?? 1;
  if (topP < 1) {
    let mass = 0;
    const kept: number[] = [];
    for (const i of order) {
      kept.push(i);
      mass += Math.exp(lp[i]);
      if (mass >= topP) break;
    }
    order = kept;
  }
  const total = order.reduce((s, i) => s + Math.exp(lp[i]), 0);
  let u = rng.next() * total;
  for (const i of order) {
    u -= Math.exp(lp[i]);
    if (u <= 0) return i;
  }
  return order[order.length - 1];
}

/** Generates up to maxNewTokens ids; one device read per token (the last position's logits). */
export async function generate(model: Model, promptIds: number[], opts: GenerateOptions = {}): Promise<GenerateResult> {
  if (!promptIds.length) throw new Error('generate: the prompt is empty');
  const maxNew = opts.maxNewTokens ?? 64;
  const rng = new Rng(opts.seed ?? 0);
  const useCache = opts.useCache ?? true;
  const cache = useCache ? emptyCache(model) : undefined;
  const stopIds = new Set(opts.stopTokenIds ?? []);
  const ids = [...promptIds];
  const tokens: TokenLogprob[] = [];
  let finishReason: GenerateResult['finishReason'] = 'length';
  let text: string | undefined;
  try {
    let next = ids;
    for (let n = 0; n < maxNew; n++) {
      const logits = tf.tidy(() => lastLogits(model, [useCache ? next : ids], { lora: opts.lora, cache }));
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      const id = sampleToken(values, opts, rng);
      const lp = logSoftmax(values);
      const tok: TokenLogprob = { id, logprob: lp[id] };
      if (opts.topLogprobs) {
        tok.top = Array.from(lp.keys())
          .sort((a, b) => lp[b] - lp[a])
          .slice(0, opts.topLogprobs)
          .map((i) => ({ id: i, logprob: lp[i] }));
      }
      tokens.push(tok);
      ids.push(id);
      next = [id];
      if (stopIds.has(id)) {
        finishReason = 'stop';
        break;
      }
      if (opts.stop?.length && opts.decode) {
        const sofar = opts.decode(ids.slice(promptIds.length));
        const hit = opts.stop.map((s) => sofar.indexOf(s)).filter((i) => i >= 0);
        if (hit.length) {
          text = sofar.slice(0, Math.min(...hit));
          finishReason = 'stop';
          break;
        }
      }
    }
  } finally {
    if (cache) disposeCache(cache);
  }
  const generated = ids.slice(promptIds.length);
  if (text === undefined && opts.decode) {
    const kept = stopIds.has(generated[generated.length - 1]) ? generated.slice(0, -1) : generated;
    text = kept.length ? opts.decode(kept) : ''; // the first token may be the stop token
  }
  return { tokens, ids: generated, text, finishReason };
}
