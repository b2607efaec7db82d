/** Model configuration parsed from a Hugging Face `config.json`, with clear errors for what is not supported. */
import type { SafeDtype } from './safetensors';

export type Family = 'llama' | 'qwen2';

export interface ModelConfig {
  family: Family;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** `rope_scaling` of the types implemented (Llama 3.1's `llama3`, `linear`); none when absent. */
  ropeScaling?: RopeScaling;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry biases (always for qwen2; llama with `attention_bias`). */
  qkvBias: boolean;
  /** o_proj carries a bias (llama with `attention_bias`). */
  oBias: boolean;
  bosTokenId?: number;
  eosTokenId?: number | number[];
  /** The config.json object as read, written back unchanged on export. */
  raw: Record<string, unknown>;
}

export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };

const ROPE_TYPES = ['default', 'linear', 'llama3'];

const ARCHITECTURES: Record<string, Family> = { LlamaForCausalLM: 'llama', Qwen2ForCausalLM: 'qwen2' };

function num(raw: Record<string, unknown>, key: string, source: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${source}: field "${key}" must be a number (got ${JSON.stringify(v)})`);
  return v;
}

/** Validates a config.json object; `source` names the file in errors. */
/** config.json's `torch_dtype` names of the safetensors dtypes the engine reads and writes. */
export const TORCH_DTYPES: Record<SafeDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

export function safeDtypeOf(torchDtype: unknown): SafeDtype | undefined {
  return (Object.keys(TORCH_DTYPES) as SafeDtype[]).find((d) => TORCH_DTYPES[d] === torchDtype);
}

export function parseConfig(raw: Record<string, unknown>, source = 'config.json'): ModelConfig {
  const modelType = raw.model_type;
  if (modelType !== 'llama' && modelType !== 'qwen2') {
    throw new Error(`${source}: model_type ${JSON.stringify(modelType)} is not supported (supported: llama, qwen2)`);
  }
  const family = modelType as Family;
  const archs = raw.architectures;
  if (Array.isArray(archs)) {
    for (const a of archs) {
      if (ARCHITECTURES[a as string] !== family) {
        throw new Error(`${source}: architecture ${JSON.stringify(a)} is not supported for model_type ${family} (supported: ${Object.keys(ARCHITECTURES).join(', ')})`);
      }
    }
  }
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu') throw new Error(`${source}: hidden_act ${JSON.stringify(act)} is not supported (supported: silu)`);
  // transformers v5 moves rope_theta and the scaling type into `rope_parameters`.
  const ropeParams = (raw.rope_parameters ?? null) as Record<string, unknown> | null;
  let ropeScaling: RopeScaling | undefined;
  for (const [field, rope] of [['rope_scaling', raw.rope_scaling], ['rope_parameters', ropeParams]] as const) {
    if (rope == null) continue;
    const r = rope as Record<string, unknown>;
    const kind = r.rope_type ?? r.type ?? 'default';
    if (!ROPE_TYPES.includes(kind as string)) throw new Error(`${source}: ${field} type ${JSON.stringify(kind)} is not supported (supported: none, ${ROPE_TYPES.join(', ')})`);
    const at = `${source}: ${field}`;
    if (kind === 'linear') ropeScaling = { type: 'linear', factor: num(r, 'factor', at) };
    if (kind === 'llama3') {
      ropeScaling = {
        type: 'llama3',
        factor: num(r, 'factor', at),
        lowFreqFactor: num(r, 'low_freq_factor', at),
        highFreqFactor: num(r, 'high_freq_factor', at),
        originalMaxPositionEmbeddings: num(r, 'original_max_position_embeddings', at),
      };
      if (!(ropeScaling.highFreqFactor > ropeScaling.lowFreqFactor)) throw new Error(`${at}: high_freq_factor must be greater than low_freq_factor`);
    }
  }
  if (raw.mlp_bias === true) throw new Error(`${source}: field "mlp_bias": true is not supported`);
  if (raw.pretraining_tp !== undefined && raw.pretraining_tp !== 1) throw new Error(`${source}: field "pretraining_tp" ${JSON.stringify(raw.pretraining_tp)} is not supported (only 1)`);
  if (family === 'qwen2' && raw.use_sliding_window === true) throw new Error(`${source}: field "use_sliding_window": true is not supported`);
  const dtype = raw.torch_dtype ?? raw.dtype;
  if (dtype !== undefined && !safeDtypeOf(dtype)) {
    throw new Error(`${source}: torch_dtype ${JSON.stringify(dtype)} is not supported (supported: float32, float16, bfloat16)`);
  }
  if (raw.quantization_config != null) throw new Error(`${source}: field "quantization_config" is not supported (load unquantized weights)`);

  const hiddenSize = num(raw, 'hidden_size', source);
  const numHeads = num(raw, 'num_attention_heads', source);
  const numKvHeads = num(raw, 'num_key_value_heads', source, numHeads);
  const headDim = num(raw, 'head_dim', source, hiddenSize / numHeads);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new Error(`${source}: head_dim ${headDim} must be an even integer`);
  if (numHeads % numKvHeads !== 0) {
    throw new Error(`${source}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  }
  const attentionBias = raw.attention_bias === true;
  return {
    family,
    vocabSize: num(raw, 'vocab_size', source),
    hiddenSize,
    intermediateSize: num(raw, 'intermediate_size', source),
    numLayers: num(raw, 'num_hidden_layers', source),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: num(raw, 'rms_norm_eps', source, 1e-6),
    ropeTheta: num(raw, 'rope_theta', source, (ropeParams?.rope_theta as number | undefined) ?? 10000),
    ropeScaling,
    maxPositionEmbeddings: num(raw, 'max_position_embeddings', source, 2048),
    tieWordEmbeddings: raw.tie_word_embeddings === true, // LlamaConfig and Qwen2Config default to false
    qkvBias: family === 'qwen2' || attentionBias,
    oBias: family === 'llama' && attentionBias,
    bosTokenId: raw.bos_token_id as number | undefined,
    eosTokenId: raw.eos_token_id as number | number[] | undefined,
    raw,
  };
}

/** The inverse of parseConfig for a fresh model (used by `retort model init`). */
export function configJson(c: Omit<ModelConfig, 'raw' | 'qkvBias' | 'oBias' | 'ropeScaling'>): Record<string, unknown> {
  return {
    architectures: [c.family === 'llama' ? 'LlamaForCausalLM' : 'Qwen2ForCausalLM'],
    model_type: c.family,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    max_position_embeddings: c.maxPositionEmbeddings,
    tie_word_embeddings: c.tieWordEmbeddings,
    ...(c.family === 'llama' ? { attention_bias: false, mlp_bias: false } : { use_sliding_window: false }),
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    torch_dtype: 'float32',
  };
}
