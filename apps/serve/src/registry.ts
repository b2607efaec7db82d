/**
 * The models this server answers for: base models loaded at start, and LoRA adapters on them that
 * are loaded and unloaded at run time (vLLM's runtime LoRA API). A request names either in `model`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { disposeLora, disposeModel, loadAdapter, loadModel } from '@retort/engine';
import type { LoraAdapter, Model } from '@retort/engine';
import { ChatTokenizer } from '@retort/tokenizer';
import { ApiError, badField, modelNotFound } from './errors';
import { Mutex } from './queue';
import { TokenText } from './text';

export type Quant = 'none' | 'nf4';

export interface SamplingDefaults {
  temperature?: number;
  topP?: number;
  topK?: number;
}

export interface BaseModel {
  name: string;
  dir: string;
  quant: Quant;
  model: Model;
  tok: ChatTokenizer;
  text: TokenText;
  /** End-of-sequence ids: the tokenizer's eos token, config.json's and generation_config.json's eos_token_id. */
  eosIds: number[];
  /** Prompt plus completion tokens at most. */
  maxModelLen: number;
  /** From generation_config.json, as vLLM takes them. */
  defaults: SamplingDefaults;
  created: number;
  lock: Mutex;
}

export interface AdapterEntry {
  name: string;
  path: string;
  base: BaseModel;
  lora: LoraAdapter;
  created: number;
  /** Requests holding the adapter; an unloaded adapter is disposed when the last one ends. */
  users: number;
  unloaded: boolean;
}

export interface Target {
  base: BaseModel;
  adapter?: AdapterEntry;
  /** Ends the request's use of the adapter (idempotent). */
  release: () => void;
}

function readJsonIfAny(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${(err as Error).message})`);
  }
}

const ids = (v: unknown): number[] => (Array.isArray(v) ? v : [v]).filter((x): x is number => typeof x === 'number' && Number.isInteger(x));
const now = () => Math.floor(Date.now() / 1000);

/** The one place the engine loads a base; `nf4` quantizes its frozen weights (QLoRA). */
function loadBase(dir: string, quant: Quant): Model {
  return quant === 'none' ? loadModel(dir) : loadModel(dir, { quant });
}

export class Registry {
  readonly bases = new Map<string, BaseModel>();
  readonly adapters = new Map<string, AdapterEntry>();

  addBase(spec: { name?: string; dir: string; quant?: Quant; maxModelLen?: number }): BaseModel {
    const dir = path.resolve(spec.dir);
    const name = spec.name ?? path.basename(dir);
    if (this.bases.has(name) || this.adapters.has(name)) throw new Error(`model name "${name}" is given twice`);
    if (!fs.existsSync(path.join(dir, 'config.json'))) throw new Error(`${dir}: not a model directory (no config.json)`);
    const quant = spec.quant ?? 'none';
    const model = loadBase(dir, quant);
    const tok = ChatTokenizer.fromDir(dir);
    const gen = readJsonIfAny(path.join(dir, 'generation_config.json'));
    const eosIds = [...new Set([...ids(tok.eosTokenId), ...ids(model.config.eosTokenId), ...ids(gen.eos_token_id)])];
    const tokMax = tok.tokenizerConfig.model_max_length;
    let maxModelLen = model.config.maxPositionEmbeddings;
    if (spec.maxModelLen) maxModelLen = Math.min(maxModelLen, spec.maxModelLen);
    else if (typeof tokMax === 'number' && tokMax > 0 && tokMax < maxModelLen) maxModelLen = tokMax;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    const base: BaseModel = {
      name,
      dir,
      quant,
      model,
      tok,
      text: new TokenText(tok),
      eosIds,
      maxModelLen,
      defaults: { temperature: num(gen.temperature), topP: num(gen.top_p), topK: num(gen.top_k) },
      created: now(),
      lock: new Mutex(),
    };
    this.bases.set(name, base);
    return base;
  }

  /** Loads a PEFT adapter directory under `name` (400 if the name is taken, as vLLM). */
  loadAdapter(name: string, dir: string, baseName?: string): AdapterEntry {
    if (this.adapters.has(name)) throw new ApiError(400, `The lora adapter '${name}' has already been loaded.`, 'invalid_request_error', 'lora_name');
    if (this.bases.has(name)) throw new ApiError(400, `'${name}' is the name of a base model.`, 'invalid_request_error', 'lora_name');
    const resolved = path.resolve(dir);
    if (!fs.existsSync(path.join(resolved, 'adapter_config.json'))) {
      throw badField('lora_path', `${resolved} is not a PEFT adapter directory (no adapter_config.json)`);
    }
    const base = this.baseFor(resolved, baseName);
    let lora: LoraAdapter;
    try {
      lora = loadAdapter(resolved, base.model);
    } catch (err) {
      throw badField('lora_path', `cannot load the adapter for ${base.name}: ${(err as Error).message}`);
    }
    const entry: AdapterEntry = { name, path: resolved, base, lora, created: now(), users: 0, unloaded: false };
    this.adapters.set(name, entry);
    return entry;
  }

  /** Which base an adapter goes on: the one named, the only one, or the one its config names. */
  private baseFor(dir: string, baseName?: string): BaseModel {
    if (baseName !== undefined) {
      const b = this.bases.get(baseName);
      if (!b) throw badField('base_model_name', `no base model "${baseName}" (have: ${[...this.bases.keys()].join(', ')})`);
      return b;
    }
    if (this.bases.size === 1) return [...this.bases.values()][0];
    const cfg = readJsonIfAny(path.join(dir, 'adapter_config.json'));
    const want = typeof cfg.base_model_name_or_path === 'string' ? cfg.base_model_name_or_path : '';
    const match = [...this.bases.values()].filter((b) => want && (b.name === want || b.dir === path.resolve(want) || path.basename(b.dir) === path.basename(want)));
    if (match.length === 1) return match[0];
    throw badField('base_model_name', `several base models are served (${[...this.bases.keys()].join(', ')}): say which one the adapter is for`);
  }

  unloadAdapter(name: string): void {
    const entry = this.adapters.get(name);
    if (!entry) throw new ApiError(404, `The lora adapter '${name}' cannot be found.`, 'NotFoundError', 'lora_name');
    this.adapters.delete(name);
    entry.unloaded = true;
    if (entry.users === 0) disposeLora(entry.lora);
  }

  /** The base and adapter a request's `model` names (404 in OpenAI's shape when none). */
  resolve(model: string): Target {
    const base = this.bases.get(model);
    if (base) return { base, release: () => undefined };
    const adapter = this.adapters.get(model);
    if (!adapter) throw modelNotFound(model);
    adapter.users++;
    let done = false;
    return {
      base: adapter.base,
      adapter,
      release: () => {
        if (done) return;
        done = true;
        adapter.users--;
        if (adapter.unloaded && adapter.users === 0) disposeLora(adapter.lora);
      },
    };
  }

  /** /v1/models entries: bases, then adapters with `parent` (their base) and `root` (their path), like vLLM. */
  list(): Record<string, unknown>[] {
    const card = (id: string, created: number, root: string, parent: string | null, maxModelLen: number) => ({
      id,
      object: 'model',
      created,
      owned_by: 'retort',
      root,
      parent,
      max_model_len: maxModelLen,
    });
    return [
      ...[...this.bases.values()].map((b) => card(b.name, b.created, b.dir, null, b.maxModelLen)),
      ...[...this.adapters.values()].map((a) => card(a.name, a.created, a.path, a.base.name, a.base.maxModelLen)),
    ];
  }

  dispose(): void {
    for (const a of this.adapters.values()) if (a.users === 0) disposeLora(a.lora);
    this.adapters.clear();
    for (const b of this.bases.values()) disposeModel(b.model);
    this.bases.clear();
  }
}
