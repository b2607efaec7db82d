import type * as tf from '@tensorflow/tfjs-core';
import type { Projection } from '@retort/contracts';
import type { ModelConfig } from './config';
import type { HostMatrix, HostWeight } from './host-weights';
import type { Nf4Weight } from './nf4';
import type { Bf16Weight } from './bf16-weights';
import type { RowBlocks } from './row-blocks';

/**
 * A frozen linear layer y = x W^T + bias. Its weight is held on the device either dense and
 * transposed for plain matMul (`wt` [in, out]), or, in a QLoRA base, as NF4 codes of W [out, in]
 * (`nf4`), dequantized inside the forward pass when the layer runs; or, on wasm with the native
 * addon, in host memory (`host`: W [out, in], float32 or NF4); or, on webgpu for a bf16 checkpoint,
 * as its bf16 values (`bf16`: W [out, in], widened to float32 where it is used); or, where W's float32
 * form would not fit one webgpu storage binding, as `parts`: consecutive blocks of W's output rows,
 * each a Linear of its own without bias (linear-weights.ts). Exactly one is set.
 */
export interface Linear {
  /** Hugging Face module path, e.g. `model.layers.0.self_attn.q_proj`. */
  name: string;
  wt?: tf.Tensor2D; // [in, out]
  nf4?: Nf4Weight; // W [out, in], NF4 with double quantization
  host?: HostWeight; // W [out, in]
  bf16?: Bf16Weight; // W [out, in]
  parts?: Linear[]; // rows of W [out, in], in order
  bias?: tf.Tensor1D; // [out]
}

/** How the frozen linear weights of a model are stored: float32, or NF4 (QLoRA). */
export type Quant = 'none' | 'nf4';

export interface Layer {
  inputNorm: tf.Tensor1D; // [hidden]
  postNorm: tf.Tensor1D; // [hidden]
  proj: Record<Projection, Linear>;
}

export interface Model {
  config: ModelConfig;
  /**
   * On the device as blocks of rows, each within one webgpu storage binding (row-blocks.ts), or in
   * host memory where the model's frozen weights are (host-weights.ts).
   */
  embed: RowBlocks | HostMatrix; // [vocab, hidden]
  layers: Layer[];
  norm: tf.Tensor1D; // [hidden]
  lmHead: RowBlocks | HostMatrix; // [vocab, hidden] (the embedding itself when tied)
  rotate: tf.Tensor2D; // [headDim, headDim]: x rotate = rotate_half(x)
  rotateT: tf.Tensor2D;
  /**
   * The most bytes one device tensor may take (webgpu: the adapter's maxStorageBufferBindingSize):
   * embed and lmHead are row blocks within it, and a step's logits are made in row chunks within it
   * (head-loss.ts). Undefined: no limit.
   */
  maxBindingBytes?: number;
}

export interface LoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  /** Module names (q_proj, ...) as PEFT's target_modules. */
  targetModules: string[];
  useRslora: boolean;
}

export interface LoraModule {
  at: tf.Variable<tf.Rank.R2>; // lora_A transposed: [in, r]
  bt: tf.Variable<tf.Rank.R2>; // lora_B transposed: [r, out]
}

export interface LoraAdapter {
  config: LoraConfig;
  /** alpha / r, or alpha / sqrt(r) with rsLoRA. */
  scale: number;
  /** Keyed by the Hugging Face module path of the wrapped linear layer. */
  modules: Map<string, LoraModule>;
}

/** Keys and values per layer, [batch * kvHeads, length, headDim]. */
export interface KVCache {
  k: tf.Tensor3D[];
  v: tf.Tensor3D[];
  length: number;
}
