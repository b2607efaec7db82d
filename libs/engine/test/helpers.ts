import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatTokenizer } from '@retort/tokenizer';
import { initModel, loadModel, Model, Rng } from '../src';

export function tmpDir(prefix = 'retort-engine-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The largest elementwise difference of two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The engine's tiny learning task: the answer is the first letter of a random 6-letter word over a..h. */
export function firstLetterTask(n: number, seed: number): { messages: { role: string; content: string }[] }[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const word = Array.from({ length: 6 }, () => 'abcdefgh'[rng.int(8)]).join('');
    return { messages: [{ role: 'user', content: word }, { role: 'assistant', content: word[0] }] };
  });
}

/** A random byte-level model written by initModel and loaded back. */
export function tinyModel(
  family: 'llama' | 'qwen2' = 'llama',
  config: Record<string, unknown> = {},
  seed = 0,
  std = 0.02,
): { dir: string; model: Model; tok: ChatTokenizer } {
  const dir = tmpDir();
  initModel({
    family,
    out: dir,
    seed,
    std,
    config: { vocab_size: 264, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, ...config },
  });
  return { dir, model: loadModel(dir), tok: ChatTokenizer.fromDir(dir) };
}

/** The largest elementwise difference relative to the largest magnitude of `a` (float32 rounding scales with it). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]));
  return maxAbsDiff(a, b) / (scale || 1);
}
