import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  adapterConfigJson,
  HostTensor,
  initModel,
  moduleName,
  projectionShape,
  PROJECTIONS,
  readModelConfig,
  Rng,
  writeSafetensors,
} from '@retort/engine';

export function tmpDir(prefix = 'retort-serve-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A random byte-level llama in HF layout (tokenizer and ChatML template included), as `retort model init` writes it. */
export function tinyModelDir(seed = 0): string {
  const dir = path.join(tmpDir(), 'tiny');
  fs.mkdirSync(dir);
  initModel({
    family: 'llama',
    out: dir,
    seed,
    std: 0.3,
    config: { vocab_size: 264, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 256 },
  });
  return dir;
}

/** A PEFT adapter for the model in `modelDir` with random, non-zero A and B, so that it changes the logits. */
export function randomAdapterDir(modelDir: string, seed = 1, r = 4): string {
  const config = readModelConfig(modelDir);
  const rng = new Rng(seed);
  const tensors = new Map<string, HostTensor>();
  const random = (shape: number[], std: number): HostTensor => {
    const data = new Float32Array(shape[0] * shape[1]);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    return { shape, data };
  };
  for (let l = 0; l < config.numLayers; l++) {
    for (const p of PROJECTIONS) {
      const [inp, out] = projectionShape(config, p);
      tensors.set(`base_model.model.${moduleName(l, p)}.lora_A.weight`, random([r, inp], 0.5));
      tensors.set(`base_model.model.${moduleName(l, p)}.lora_B.weight`, random([out, r], 0.5));
    }
  }
  const dir = path.join(tmpDir('retort-adapter-'), 'adapter');
  fs.mkdirSync(dir);
  const cfg = adapterConfigJson({ r, alpha: 2 * r, dropout: 0, targetModules: [...PROJECTIONS], useRslora: false }, modelDir);
  fs.writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify(cfg, null, 2));
  fs.writeFileSync(path.join(dir, 'adapter_model.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
  return dir;
}

/** Reads a server-sent event stream into its `data:` payloads (the final `[DONE]` included, as a string). */
export async function readSse(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      expect(block.startsWith('data: ')).toBe(true);
      const data = block.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
}
