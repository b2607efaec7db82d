import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatTokenizer } from '@retort/tokenizer';
import { initModel, loadModel, Model } from '../src';

export function tmpDir(prefix = 'retort-engine-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
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
