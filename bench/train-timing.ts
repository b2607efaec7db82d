/** Shared by the engine, scale and gpu benches: random training examples, a training run timed per step, timed generation. */
import { Example, generate, Rng, train, type Model, type TrainOptions, type TrainResult } from '@retort/engine';

/** count sequences of seq random ids below vocab, every position but the last a target. */
export function randomExamples(rng: Rng, count: number, seq: number, vocab: number): Example[] {
  return Array.from({ length: count }, () => ({
    ids: Array.from({ length: seq }, () => rng.int(vocab)),
    weights: Array.from({ length: seq }, (_, t) => (t < seq - 1 ? 1 : 0)),
  }));
}

/** Trains and times each step; tokens/s counts the steps after the first (warm-up). */
export async function timedTraining(opts: TrainOptions, tokensPerStep: number): Promise<{ result: TrainResult; stepMs: number[]; tokensPerSec: number }> {
  const stepMs: number[] = [];
  let last = Date.now();
  const result = await train({
    ...opts,
    onProgress: (p) => {
      const now = Date.now();
      stepMs.push(now - last);
      last = now;
      opts.onProgress?.(p);
    },
  });
  const timed = stepMs.slice(1);
  return { result, stepMs, tokensPerSec: (tokensPerStep * timed.length * 1000) / timed.reduce((a, b) => a + b, 0) };
}

/** KV-cache generation tokens/s over `tokens` new tokens, after a short warm-up (kernels compile on first use). */
export async function timedGeneration(model: Model, prompt: number[], tokens: number): Promise<number> {
  await generate(model, prompt, { maxNewTokens: 4 });
  const t0 = Date.now();
  const out = await generate(model, prompt, { maxNewTokens: tokens });
  return (out.ids.length * 1000) / (Date.now() - t0);
}
