/**
 * Hugging Face layout checkpoint directories: config.json plus model.safetensors, or shards and
 * model.safetensors.index.json. Read tensor by tensor (see safetensors-file.ts) and written in
 * shards of at most maxShardBytes (transformers' `max_shard_size`, 5 GB by default).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelConfig, parseConfig, safeDtypeOf, TORCH_DTYPES } from './config';
import { configText, readJsonFile, readJsonKeepingFloats } from './config-json';
import { HostTensor, SafeDtype, SAFE_BYTES, tensorCount, TensorEntry } from './safetensors';
import { AsyncTensorToWrite, SafetensorsFileReader, TensorToWrite, writeSafetensorsFile, writeSafetensorsFileAsync } from './safetensors-file';

export interface HostCheckpoint {
  config: ModelConfig;
  tensors: Map<string, HostTensor>;
}

/** Where a model's tensors come from: their shapes up front, their values one at a time. */
export interface TensorSource {
  config: ModelConfig;
  names(): string[];
  shape(name: string): number[] | undefined;
  read(name: string): HostTensor;
}

/** The files beside the weights that a model directory carries over to a merged export. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json'];

/** Copies the tokenizer and generation files that `from` has into `to`. */
export function copyTokenizerFiles(from: string, to: string): void {
  for (const f of TOKENIZER_FILES) if (fs.existsSync(path.join(from, f))) fs.copyFileSync(path.join(from, f), path.join(to, f));
}

/** transformers' default `max_shard_size` ("5GB", decimal). */
export const DEFAULT_MAX_SHARD_BYTES = 5e9;

export function readJson(file: string): Record<string, unknown> {
  return readJsonFile(file).value;
}

export function readModelConfig(dir: string): ModelConfig {
  const file = path.join(dir, 'config.json');
  return parseConfig(readJsonKeepingFloats(file), file);
}

/** An open checkpoint directory: headers read, tensors read on demand. Close it when done. */
export class CheckpointReader implements TensorSource {
  readonly config: ModelConfig;
  private readonly files: SafetensorsFileReader[] = [];
  private readonly where = new Map<string, { file: SafetensorsFileReader; entry: TensorEntry }>();

  constructor(readonly dir: string) {
    this.config = readModelConfig(dir);
    const single = path.join(dir, 'model.safetensors');
    const index = path.join(dir, 'model.safetensors.index.json');
    try {
      if (fs.existsSync(single)) this.add(new SafetensorsFileReader(single));
      else if (fs.existsSync(index)) this.openShards(index);
      else throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json`);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  names(): string[] {
    return [...this.where.keys()];
  }

  shape(name: string): number[] | undefined {
    return this.where.get(name)?.entry.shape;
  }

  /** The stored dtype of a tensor (its values are float32 once read). */
  dtype(name: string): SafeDtype | undefined {
    return this.where.get(name)?.entry.dtype;
  }

  read(name: string): HostTensor {
    const at = this.where.get(name);
    if (!at) throw new Error(`${this.dir}: no tensor ${name}`);
    return at.file.read(name);
  }

  close(): void {
    for (const f of this.files) f.close();
  }

  private add(file: SafetensorsFileReader, only?: (name: string) => boolean): void {
    this.files.push(file);
    for (const [name, entry] of file.entries) if (!only || only(name)) this.where.set(name, { file, entry });
  }

  private openShards(index: string): void {
    const weightMap = readJson(index).weight_map as Record<string, string> | undefined;
    if (!weightMap || typeof weightMap !== 'object') throw new Error(`${index}: missing "weight_map"`);
    for (const shard of new Set(Object.values(weightMap))) {
      const file = path.join(this.dir, shard);
      if (path.dirname(path.resolve(file)) !== path.resolve(this.dir)) throw new Error(`${index}: shard ${shard} is not a file of this directory`);
      if (!fs.existsSync(file)) throw new Error(`${index}: shard ${shard} not found`);
      this.add(new SafetensorsFileReader(file), (name) => weightMap[name] === shard);
    }
    for (const k of Object.keys(weightMap)) if (!this.where.has(k)) throw new Error(`${index}: tensor ${k} not found in ${weightMap[k]}`);
  }
}

export function openCheckpoint(dir: string): CheckpointReader {
  return new CheckpointReader(dir);
}

/** Reads every weight of a model directory as float32 host arrays (small models; see openCheckpoint). */
export function readCheckpoint(dir: string): HostCheckpoint {
  const reader = openCheckpoint(dir);
  try {
    return { config: reader.config, tensors: new Map(reader.names().map((n) => [n, reader.read(n)])) };
  } finally {
    reader.close();
  }
}

export interface WriteCheckpointOptions {
  /** Stored dtype; default the config's `torch_dtype` when it names one of F32/F16/BF16, else F32. */
  dtype?: SafeDtype;
  /** Largest shard in bytes (default 5 GB); a checkpoint within it is one model.safetensors. */
  maxShardBytes?: number;
}


interface CheckpointPlan<T> {
  dtype: SafeDtype;
  shards: { file: string; tensors: T[] }[];
  /** Writes model.safetensors.index.json when there is more than one shard; returns the files written. */
  finish(): { files: string[]; totalBytes: number };
}

/** Writes config.json, removes stale weight files and cuts the tensors into shards of at most maxShardBytes. */
function planCheckpoint<T extends { name: string; shape: number[] }>(dir: string, configRaw: Record<string, unknown>, list: T[], opts: WriteCheckpointOptions): CheckpointPlan<T> {
  fs.mkdirSync(dir, { recursive: true });
  const dtype = opts.dtype ?? safeDtypeOf(configRaw.torch_dtype ?? configRaw.dtype) ?? 'F32';
  const width = SAFE_BYTES[dtype];
  const maxShard = opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  fs.writeFileSync(path.join(dir, 'config.json'), configText({ ...configRaw, torch_dtype: TORCH_DTYPES[dtype] }));
  const groups: T[][] = [[]];
  let size = 0;
  let totalBytes = 0;
  for (const t of list) {
    const bytes = tensorCount(t.shape) * width;
    if (size > 0 && size + bytes > maxShard) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1].push(t);
    size += bytes;
    totalBytes += bytes;
  }
  for (const stale of fs.readdirSync(dir)) {
    if (/^model(-\d{5}-of-\d{5})?\.safetensors$|^model\.safetensors\.index\.json$/.test(stale)) fs.rmSync(path.join(dir, stale));
  }
  const name = (i: number) => (groups.length === 1 ? 'model.safetensors' : `model-${String(i + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`);
  const shards = groups.map((tensors, i) => ({ file: name(i), tensors }));
  const finish = () => {
    if (shards.length === 1) return { files: [shards[0].file], totalBytes };
    const weightMap: Record<string, string> = {};
    for (const shard of shards) for (const t of shard.tensors) weightMap[t.name] = shard.file;
    const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: totalBytes }, weight_map: sorted }, null, 2) + '\n');
    return { files: [...shards.map((sh) => sh.file), 'model.safetensors.index.json'], totalBytes };
  };
  return { dtype, shards, finish };
}

/**
 * Writes config.json and the weights, streaming, in shards of at most maxShardBytes (a tensor larger
 * than that gets a shard of its own, as transformers does), with model.safetensors.index.json when
 * there is more than one. Tensors keep the order given (a map's insertion order).
 */
export function writeCheckpoint(
  dir: string,
  configRaw: Record<string, unknown>,
  tensors: Map<string, HostTensor> | TensorToWrite[],
  opts: WriteCheckpointOptions = {},
): { files: string[]; totalBytes: number } {
  const list: TensorToWrite[] = tensors instanceof Map ? [...tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })) : tensors;
  const plan = planCheckpoint(dir, configRaw, list, opts);
  for (const shard of plan.shards) writeSafetensorsFile(path.join(dir, shard.file), shard.tensors, plan.dtype, { format: 'pt' });
  return plan.finish();
}

/** writeCheckpoint for tensors read from the device asynchronously (one at a time). */
export async function writeCheckpointAsync(
  dir: string,
  configRaw: Record<string, unknown>,
  tensors: AsyncTensorToWrite[],
  opts: WriteCheckpointOptions = {},
): Promise<{ files: string[]; totalBytes: number }> {
  const plan = planCheckpoint(dir, configRaw, tensors, opts);
  for (const shard of plan.shards) await writeSafetensorsFileAsync(path.join(dir, shard.file), shard.tensors, plan.dtype, { format: 'pt' });
  return plan.finish();
}
