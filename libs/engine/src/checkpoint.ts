/** Hugging Face layout checkpoint directories: config.json plus model.safetensors or index + shards. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelConfig, parseConfig } from './config';
import { HostTensor, readSafetensors, SafeDtype, writeSafetensors } from './safetensors';

export interface HostCheckpoint {
  config: ModelConfig;
  tensors: Map<string, HostTensor>;
}

export function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: not found`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${(err as Error).message})`);
  }
}

export function readModelConfig(dir: string): ModelConfig {
  const file = path.join(dir, 'config.json');
  return parseConfig(readJson(file), file);
}

/** Reads every weight of a model directory as float32 host arrays. */
export function readCheckpoint(dir: string): HostCheckpoint {
  const config = readModelConfig(dir);
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  const tensors = new Map<string, HostTensor>();
  if (fs.existsSync(single)) {
    for (const [k, v] of readSafetensors(fs.readFileSync(single), single).tensors) tensors.set(k, v);
  } else if (fs.existsSync(index)) {
    const weightMap = readJson(index).weight_map as Record<string, string> | undefined;
    if (!weightMap) throw new Error(`${index}: missing "weight_map"`);
    for (const shard of new Set(Object.values(weightMap))) {
      const file = path.join(dir, shard);
      if (!fs.existsSync(file)) throw new Error(`${index}: shard ${shard} not found`);
      for (const [k, v] of readSafetensors(fs.readFileSync(file), file).tensors) {
        if (weightMap[k] === shard) tensors.set(k, v);
      }
    }
    for (const k of Object.keys(weightMap)) if (!tensors.has(k)) throw new Error(`${index}: tensor ${k} not found in ${weightMap[k]}`);
  } else {
    throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json`);
  }
  return { config, tensors };
}

/** Writes config.json and the weights, in shards of at most maxShardBytes (default: one file). */
export function writeCheckpoint(
  dir: string,
  configRaw: Record<string, unknown>,
  tensors: Map<string, HostTensor>,
  opts: { dtype?: SafeDtype; maxShardBytes?: number } = {},
): void {
  fs.mkdirSync(dir, { recursive: true });
  const dtype = opts.dtype ?? 'F32';
  const width = dtype === 'F32' ? 4 : 2;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...configRaw, torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype] }, null, 2) + '\n');
  const names = [...tensors.keys()].sort();
  const shards: string[][] = [[]];
  let size = 0;
  for (const name of names) {
    const bytes = tensors.get(name)!.data.length * width;
    if (opts.maxShardBytes && size > 0 && size + bytes > opts.maxShardBytes) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(name);
    size += bytes;
  }
  if (shards.length === 1) {
    fs.writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }, dtype));
    return;
  }
  const weightMap: Record<string, string> = {};
  let total = 0;
  shards.forEach((shard, i) => {
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    const part = new Map(shard.map((n) => [n, tensors.get(n)!]));
    for (const n of shard) {
      weightMap[n] = file;
      total += tensors.get(n)!.data.length * width;
    }
    fs.writeFileSync(path.join(dir, file), writeSafetensors(part, { format: 'pt' }, dtype));
  });
  fs.writeFileSync(
    path.join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n',
  );
}
