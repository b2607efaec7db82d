/** Shared by the engine and scale benches: random training examples and a training run timed per step. */
import { Example, Rng, train, type TrainOptions, type TrainResult } from '@retort/engine';

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
