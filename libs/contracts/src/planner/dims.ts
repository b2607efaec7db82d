/** A decoder's shape, read from config.json: the sizes every projection, weight and byte count follows from. */
import { attentionBiases } from './families';

export interface ModelDims {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  /** Grouped-query attention: fewer key/value heads than query heads (a divisor of numHeads). */
  numKvHeads: number;
  headDim: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry biases. */
  qkvBias: boolean;
  /** o_proj carries a bias. */
  oBias: boolean;
}

/** Reads one numeric config.json field (the fallback when absent), throwing the caller's own error when it is not acceptable. */
export type ReadNumber = (key: string, fallback?: number) => number;

/** Key/value heads of a possibly partial config.json: `num_key_value_heads`, else one per attention head. */
export function kvHeads(config: { num_attention_heads?: number; num_key_value_heads?: number }): number | undefined {
  return config.num_key_value_heads ?? config.num_attention_heads;
}

/** The shape of a config.json of `family`; `source` names the file in errors. */
export function readModelDims(raw: Record<string, unknown>, family: string, source: string, read: ReadNumber): ModelDims {
  const hiddenSize = read('hidden_size');
  const numHeads = read('num_attention_heads');
  const numKvHeads = read('num_key_value_heads', numHeads);
  const headDim = read('head_dim', hiddenSize / numHeads);
  if (numHeads % numKvHeads !== 0) throw new Error(`${source}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  return {
    vocabSize: read('vocab_size'),
    hiddenSize,
    intermediateSize: read('intermediate_size'),
    numLayers: read('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    tieWordEmbeddings: raw.tie_word_embeddings === true, // LlamaConfig and Qwen2Config default to false
    ...attentionBiases(family, raw.attention_bias === true),
  };
}
