/** Types of the memory planner (no tfjs: importable by the API). */

/** The config.json fields the model spec and the planner read (Hugging Face names). */
export interface ModelConfigLike {
  model_type?: string;
  architectures?: string[];
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  head_dim?: number;
  vocab_size: number;
  tie_word_embeddings?: boolean;
  /** llama: q/k/v/o biases. qwen2 always has q/k/v biases. */
  attention_bias?: boolean;
  [key: string]: unknown;
}

export type PlanMethod = 'lora' | 'qlora';
export type PlanTask = 'train' | 'generate';
/** The engine's tfjs backends (`wasm` caps device memory at 4 GiB: 32-bit WebAssembly). */
export type PlanBackend = 'node-gpu' | 'webgpu' | 'node' | 'wasm' | 'cpu';

export interface PlanInput {
  /** A config.json object, or a DeepSeek-R1 distill size: 1.5b, 7b, 8b, 14b, 32b, 70b. */
  config?: ModelConfigLike;
  size?: string;
  method: PlanMethod;
  /** Tokens per sequence (training: the padded length of a batch; generate: prompt + new tokens). */
  seq: number;
  batch: number;
  /** LoRA rank (default 8). */
  rank?: number;
  /** LoRA target modules (default all seven projections, as `retort train`). */
  targets?: string[];
  /** Default `node-gpu`. */
  backend?: PlanBackend;
  /** Default `train`: one optimizer step. `generate`: decoding with a KV cache, adapter applied. */
  task?: PlanTask;
  /** Training with gradient checkpointing (each layer keeps only its input and is recomputed). */
  checkpoint?: boolean;
  /** Training with token-level KD (teacher distributions over the vocabulary at the answer's targets). */
  kd?: boolean;
  /**
   * The frozen matrices (projections, embedding, lm_head) are held in host memory, outside the
   * device (wasm with the native addon: outside its 4 GiB heap). Default false.
   */
  weightsOnHost?: boolean;
}

export interface MemoryPlan {
  model: {
    name?: string;
    family: string;
    layers: number;
    hidden: number;
    intermediate: number;
    heads: number;
    kvHeads: number;
    headDim: number;
    vocab: number;
    tied: boolean;
  };
  input: Required<Omit<PlanInput, 'config' | 'size'>> & { size?: string };
  params: {
    /** All parameters of the base model (embedding and lm_head counted once each). */
    base: number;
    /** The parameters of the linear projections (what NF4 quantizes). */
    linear: number;
    lora: number;
  };
  /** Bytes held by tfjs (float32 everywhere; the quantity `tf.memory().numBytes` reports). */
  bytes: {
    /** Base model: float32, or NF4 codes + double-quantized absmax for the projections with qlora. */
    weights: number;
    /** LoRA A and B (float32). */
    lora: number;
    /** AdamW first and second moments. */
    optimizer: number;
    /** Gradients of A and B, held until the optimizer step. */
    gradients: number;
    /** Tensors kept for and produced by the backward pass, at the step's peak. */
    activations: number;
    /** KV cache (task generate). */
    kvCache: number;
    /** Transients at the peak: attention backward, NF4 dequantization of the largest layer, tables. */
    overhead: number;
    total: number;
    /** The part of `weights` that can be held in host memory: the projections, the embedding, an untied lm_head. */
    frozenMatrices: number;
    /** What the device holds: total, less frozenMatrices with weightsOnHost. */
    device: number;
  };
  /** Stored bytes per parameter of the linear projections (4, or about 0.52 with NF4). */
  linearBytesPerParam: number;
  notes: string[];
  /**
   * For comparison only, not what this engine holds: the same job in a typical PyTorch setup
   * (bf16 base or bitsandbytes NF4, fp32 LoRA and AdamW, gradient checkpointing, bf16 activations).
   */
  pytorchReference: { weights: number; loraAndOptimizer: number; activations: number; total: number; assumptions: string };
}

export interface WorkerPool {
  name: string;
  /** Device memory of one worker of the pool (GPU memory, or host memory for CPU/wasm workers). */
  memoryBytes: number;
  backend: string;
  /** wasm workers with the native addon: frozen weights in host memory, only the rest in the 4 GiB heap. */
  weightsOnHost?: boolean;
}

export interface PoolFit {
  /** Pools whose usable memory holds the plan's total, largest first. */
  fits: WorkerPool[];
  /** The pool with the most usable memory (undefined without pools). */
  largest?: WorkerPool & { usableBytes: number };
  needBytes: number;
}
