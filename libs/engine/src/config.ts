/** Model configuration parsed from a Hugging Face `config.json`, with clear errors for what is not supported. */
import { ARCHITECTURES, FAMILIES, FAMILY_TRAITS, familyOfArchitecture, isFamily, readModelDims } from '@retort/contracts';
import type { Family, ModelDims } from '@retort/contracts';
import type { SafeDtype } from './safetensors';

export interface ModelConfig extends ModelDims {
  family: Family;
  rmsNormEps: number;
  ropeTheta: number;
  /** `rope_scaling` of the types implemented (Llama 3.1's `llama3`, `linear`); none when absent. */
  ropeScaling?: RopeScaling;
  maxPositionEmbeddings: number;
  bosTokenId?: number;
  eosTokenId?: number | number[];
  /** The config.json object as read, written back unchanged on export. */
  raw: Record<string, unknown>;
}

export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };

const ROPE_TYPES = ['default', 'linear', 'llama3'];

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
  const family = raw.model_type;
  if (!isFamily(family)) {
    throw new Error(`${source}: model_type ${JSON.stringify(family)} is not supported (supported: ${FAMILIES.join(', ')})`);
  }
  const archs = raw.architectures;
  if (Array.isArray(archs)) {
    for (const a of archs) {
      if (familyOfArchitecture(a) !== family) {
        throw new Error(`${source}: architecture ${JSON.stringify(a)} is not supported for model_type ${family} (supported: ${ARCHITECTURES.join(', ')})`);
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
  for (const flag of FAMILY_TRAITS[family].unsupportedFlags) if (raw[flag] === true) throw new Error(`${source}: field "${flag}": true is not supported`);
  const dtype = raw.torch_dtype ?? raw.dtype;
  if (dtype !== undefined && !safeDtypeOf(dtype)) {
    throw new Error(`${source}: torch_dtype ${JSON.stringify(dtype)} is not supported (supported: float32, float16, bfloat16)`);
  }
  if (raw.quantization_config != null) throw new Error(`${source}: field "quantization_config" is not supported (load unquantized weights)`);

  const dims = readModelDims(raw, family, source, (key, fallback) => num(raw, key, source, fallback));
  // RoPE rotates the two halves of each head.
  if (!Number.isInteger(dims.headDim) || dims.headDim % 2 !== 0) throw new Error(`${source}: head_dim ${dims.headDim} must be an even integer`);
  return {
    family,
    ...dims,
    rmsNormEps: num(raw, 'rms_norm_eps', source, 1e-6),
    ropeTheta: num(raw, 'rope_theta', source, (ropeParams?.rope_theta as number | undefined) ?? 10000),
    ropeScaling,
    maxPositionEmbeddings: num(raw, 'max_position_embeddings', source, 2048),
    bosTokenId: raw.bos_token_id as number | undefined,
    eosTokenId: raw.eos_token_id as number | number[] | undefined,
    raw,
  };
}

/** The inverse of parseConfig for a fresh model (used by `retort model init`). */
export function configJson(c: Omit<ModelConfig, 'raw' | 'qkvBias' | 'oBias' | 'ropeScaling'>): Record<string, unknown> {
  return {
    architectures: [FAMILY_TRAITS[c.family].architecture],
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
    ...FAMILY_TRAITS[c.family].fresh.configFields,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    torch_dtype: 'float32',
  };
}
