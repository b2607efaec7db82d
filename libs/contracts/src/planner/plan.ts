/**
 * The memory planner: how many bytes a LoRA/QLoRA job holds in this engine, before it runs.
 *
 * It models what tfjs keeps (everything float32; counted as `tf.memory().numBytes` counts, per live
 * tensor object, so reshaped views and the clones tfjs saves for the backward pass count in full):
 *
 *   persistent  the base (embedding, lm_head, norms, biases, the projections as float32,
 *               as bf16 (webgpu, a bf16 checkpoint's LoRA base), or as NF4 words + 8-bit absmax
 *               words + one float per 256 blocks; on webgpu a bf16 checkpoint's embedding and
 *               lm_head as bf16), LoRA A and B, AdamW m and v;
 *   one step    the peak of the forward pass (every op output is alive until the loss scope ends)
 *               or of the backward pass (tfjs keeps the saved tensors and every gradient it
 *               produces until backprop ends), plus the largest transient: the attention backward
 *               of one layer, or the NF4 dequantization of the largest projection (~6 int32 per
 *               weight while unpacking; bf16: its float32 copy).
 *
 * Per token and layer the counts below come from the engine's code (ops.ts, model.ts: which tensors
 * each op saves) and were checked against tf.profile on 240 random tiny models (step peak within
 * -6%..+12%); the gradient coefficients are measured. No tfjs import here: the API uses this module.
 */
import { BF16_BYTES, BNB_NF4_BYTES_PER_PARAM, F32_BYTES as F32, nf4WeightBytes, WIDENED_BLOCK_BYTES } from './bytes';
import { readModelDims, type ModelDims } from './dims';
import { PROJECTIONS, projectionShape } from './projections';
import { ALL_LINEAR, targetProjections } from './targets';
import { parameterCounts } from './weights';
import { DISTILL_CONFIGS, isNamedSize } from './sizes';
import type { MemoryPlan, ModelConfigLike, PlanBackend, PlanInput, PoolFit, WorkerPool } from './types';

/** 32-bit WebAssembly addresses at most 4 GiB, whatever the host has. */
export const WASM_MAX_BYTES = 4 * 1024 ** 3;

/** The model's shape in the short names of the formulas below. */
interface Dims {
  spec: ModelDims;
  family: string;
  V: number;
  D: number;
  I: number;
  L: number;
  H: number;
  KV: number;
  d: number;
  Q: number;
  Kv: number;
  tied: boolean;
  qkvBias: boolean;
  oBias: boolean;
}

function positive(v: unknown, field: string, source: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${source}: field "${field}" must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

function dimsOf(c: ModelConfigLike, source: string): Dims {
  const family = String(c.model_type ?? 'llama');
  const spec = readModelDims(c, family, source, (key, fallback) => positive(c[key] ?? fallback, key, source));
  return {
    spec,
    family,
    V: spec.vocabSize,
    D: spec.hiddenSize,
    I: spec.intermediateSize,
    L: spec.numLayers,
    H: spec.numHeads,
    KV: spec.numKvHeads,
    d: spec.headDim,
    Q: spec.numHeads * spec.headDim,
    Kv: spec.numKvHeads * spec.headDim,
    tied: spec.tieWordEmbeddings,
    qkvBias: spec.qkvBias,
    oBias: spec.oBias,
  };
}

export function resolveConfig(input: Pick<PlanInput, 'config' | 'size'>): { config: ModelConfigLike; name?: string } {
  if (input.config && input.size) throw new Error('plan: give a config or a size, not both');
  if (input.config) return { config: input.config };
  if (!input.size) throw new Error('plan: a config (config.json) or a size (1.5b, 7b, 8b, 14b, 32b, 70b) is needed');
  const s = input.size.toLowerCase();
  if (!isNamedSize(s)) throw new Error(`plan: size "${input.size}" is not one of 1.5b, 7b, 8b, 14b, 32b, 70b`);
  const { name, ...config } = DISTILL_CONFIGS[s];
  return { config, name };
}

/** Parameter counts a config implies: all, the seven projections per layer. */
export function countParams(config: ModelConfigLike): { base: number; linear: number } {
  return parameterCounts(dimsOf(config, 'config').spec);
}

/** Estimates the memory of a LoRA or QLoRA job in this engine. */
export function planMemory(input: PlanInput): MemoryPlan {
  const { config, name } = resolveConfig(input);
  const m = dimsOf(config, input.size ? `size ${input.size}` : 'config.json');
  const method = input.method;
  if (method !== 'lora' && method !== 'qlora') throw new Error(`plan: method "${method as string}" is not lora or qlora`);
  const backend: PlanBackend = input.backend ?? 'node-gpu';
  const task = input.task ?? 'train';
  const r = input.rank ?? 8;
  const T = positive(input.seq, 'seq', 'plan');
  const B = positive(input.batch, 'batch', 'plan');
  positive(r, 'rank', 'plan');
  const targets = targetProjections(input.targets ?? [ALL_LINEAR]);
  const { V, D, I, L, H, Q, Kv, d } = m;
  const N = B * T;
  const notes: string[] = [];

  // --- persistent ---------------------------------------------------------------------------
  const params = countParams(config);
  const nonLinear = params.base - params.linear;
  const weightsOnHost = input.weightsOnHost === true;
  // On webgpu the engine holds a bf16 checkpoint's projections as bf16 (exact; widened per use).
  // So are its embedding and lm_head (LoRA and QLoRA), widened a block of rows at a time.
  const bf16Vocab = backend === 'webgpu' && !weightsOnHost && config.torch_dtype === 'bfloat16';
  const bf16Base = method === 'lora' && bf16Vocab;
  let linearBytes = 0;
  let largest = 0;
  for (const p of PROJECTIONS) {
    const [i, o] = projectionShape(m.spec, p);
    linearBytes += L * (method === 'qlora' ? nf4WeightBytes(i * o) : (bf16Base ? BF16_BYTES : F32) * i * o);
    largest = Math.max(largest, i * o);
  }
  // embedding, lm_head (untied; the engine multiplies by it transposed, holding no copy), norms, biases, rotate_half
  const vocabParams = V * D * (m.tied ? 1 : 2);
  const vocabBytes = (bf16Vocab ? BF16_BYTES : F32) * vocabParams;
  const weights = linearBytes + vocabBytes + F32 * (nonLinear - vocabParams + 2 * d * d) + (method === 'qlora' ? F32 * (16 + 256) : 0);
  // What weightsOnHost keeps in host memory: the projections, the embedding and an untied lm_head.
  const frozenMatrices = linearBytes + F32 * vocabParams;
  const onHost = weightsOnHost ? frozenMatrices : 0;
  let loraParams = 0;
  for (const p of targets) {
    const [i, o] = projectionShape(m.spec, p);
    loraParams += L * r * (i + o);
  }
  const lora = F32 * loraParams;

  // --- one step (floats) ----------------------------------------------------------------------
  const bias = m.qkvBias ? N * (Q + 2 * Kv) + Q + 2 * Kv : 0;
  let loraSaved = 0; // each LoRA layer saves its input (no dropout) and x A
  for (const p of targets) loraSaved += N * projectionShape(m.spec, p)[0] + N * r;
  const attnScores = B * H * T * T;
  // Saved for backward: norms 2x(4ND), residual adds 2x(2ND), q and k 8 tensors each (projection,
  // RoPE, head-major copy), v 2, attention q/k/v + probabilities, o 2, SwiGLU 5, biases; then the
  // final norm, the logits and one-hot of the loss, and the clones of A and B.
  // On webgpu RMSNorm, RoPE and SwiGLU are fused kernels (the engine's rms-norm.ts, rope-webgpu.ts,
  // swiglu-webgpu.ts): each saves only its inputs, and their intermediates and gradients are gone.
  // Fitted to the peaks measured on webgpu with and without them (RETORT_WEBGPU_FUSED=0), per layer:
  // saved 6 N D + 6 N (Q + Kv) + 3 N I fewer floats, gradients 10 N (Q + Kv) + 3 N I, forward-only
  // outputs 4 N D + 6 N (Q + Kv) + 2 N I.
  const fused = backend === 'webgpu';
  const savedPerLayer =
    12 * N * D + 11 * N * Q + 12 * N * Kv + (fused ? 2 : 5) * N * I + attnScores + bias + (m.oBias ? N * D : 0) + loraSaved + 4 * T * d + 6 * N - (fused ? 6 * N * D + 6 * N * (Q + Kv) : 0);
  // The loss saves the logits and a one-hot of them, and makes four more logits-sized tensors in
  // its forward; on webgpu it is a fused kernel (the engine's cross-entropy.ts) that keeps only the
  // logits (one more is counted in its forward: the measured peaks do not tell 0 from 1).
  const lossSaved = (fused ? 1 : 2) * N * V;
  const lossForward = (fused ? 1 : 4) * N * V;
  const saved = L * savedPerLayer + 4 * N * D + lossSaved + 4 * N + loraParams;
  // Forward outputs that are not saved (alive until the loss scope closes), and the loss's own temporaries.
  const forwardOnly = L * ((fused ? 6 : 10) * N * D + (fused ? 8 : 14) * N * (Q + Kv) + (fused ? 3 : 5) * N * I + (m.qkvBias ? N * (Q + 2 * Kv) : 0)) + 4 * N * D + lossForward;
  // Gradients produced by backprop (all held until it ends; measured coefficients), LoRA grads included.
  const gradientsHeld = L * (22 * N * D + (fused ? 6 : 16) * N * (Q + Kv) + (fused ? 4 : 7) * N * I) + N * V + loraParams;
  // On webgpu attention's scaled, masked softmax is a fused kernel (attention-webgpu.ts): its
  // gradient holds two score-sized tensors, not three, and there is no mask tensor in the tables.
  const attnBackward = (backend === 'wasm' ? 6 : fused ? 2 : 3) * attnScores;
  // NF4 dequantized on the device: with tfjs kernels ~6 int32 per weight while unpacking; on webgpu
  // two WGSL kernels make the float32 copy and its block scales (1 + 2/64 floats per weight); on the
  // host it is native panels. A bf16 projection, or block of the lm_head, is widened to one float32
  // copy, freed after its product.
  const widened = Math.max(bf16Base ? largest : 0, bf16Vocab ? Math.min(V * D, WIDENED_BLOCK_BYTES / F32) : 0);
  const dequant = Math.max(method === 'qlora' && !weightsOnHost ? (backend === 'webgpu' ? 1 + 2 / 64 : 6.15) * largest : 0, widened);
  const tables = (fused ? 0 : g(m) * T * T) + 2 * T * d;

  let activations: number;
  let gradients = 0;
  let overhead: number;
  let optimizer = 0;
  let kvCache = 0;
  const checkpoint = task === 'train' && input.checkpoint === true;
  if (checkpoint) {
    // Each layer is one op that keeps its input [N, D]; the backward pass holds one input gradient
    // [N, D] per layer until it ends, and one layer at a time recomputed with its own tape (the
    // tensors that tape saves and the gradients it produces; its other forward outputs are freed).
    const layerSaved = savedPerLayer;
    const layerForward = forwardOnly / L - (4 * N * D) / L;
    const layerGradients = gradientsHeld / L - (N * V + loraParams) / L;
    const head = saved - L * savedPerLayer;
    const fwd = L * N * D + layerSaved + layerForward + head + 4 * N * D + lossForward + dequant;
    const bwd = 2 * L * N * D + head + N * V + loraParams + layerSaved + layerGradients + Math.max(attnBackward, dequant);
    gradients = F32 * loraParams;
    optimizer = 2 * F32 * loraParams;
    overhead = F32 * tables;
    activations = F32 * (Math.max(fwd, bwd) - loraParams);
    notes.push(`gradient checkpointing: ${L} layer inputs kept, one layer recomputed at a time in the backward pass`);
  } else if (task === 'train') {
    const fwd = saved + forwardOnly + dequant;
    const bwd = saved + gradientsHeld + Math.max(attnBackward, dequant);
    gradients = F32 * loraParams;
    optimizer = 2 * F32 * loraParams;
    if (bwd >= fwd) {
      overhead = F32 * (Math.max(attnBackward, dequant) + tables);
      activations = F32 * (saved + gradientsHeld - loraParams);
      notes.push('peak at the end of the backward pass: tfjs keeps every saved tensor and every gradient it produced until backprop returns');
    } else {
      overhead = F32 * (dequant + tables);
      activations = F32 * (saved + forwardOnly);
      notes.push('peak at the end of the forward pass (the loss over the vocabulary dominates)');
    }
  } else {
    // Prefill of the whole sequence without a tape: every op output lives until the forward returns.
    activations = F32 * (L * (10 * N * D + 14 * N * (Q + Kv) + 5 * N * I) + 2 * N * D + B * V);
    overhead = F32 * (3 * attnScores + dequant + tables);
    kvCache = F32 * 2 * L * B * T * Kv;
    notes.push(`KV cache: ${L} layers x 2 x [${B * m.KV}, ${T}, ${d}] float32`);
  }
  // Token-level KD: the teacher's distributions scattered to [N, V], the student's at temperature
  // and their gradient (measured: 3 N V floats). On webgpu the loss is a fused kernel that reads the
  // teacher's top-k where it is (cross-entropy.ts): its gradient and the sum with the hard-target
  // loss's, 2 N V.
  const kd = task === 'train' && input.kd === true;
  if (kd) {
    activations += F32 * (fused ? 2 : 3) * N * V;
    notes.push(
      fused
        ? "token-level KD: the distillation loss's gradient over the vocabulary, and its sum with the cross-entropy's"
        : 'token-level KD: teacher distributions, the student distribution at temperature and its gradient over the vocabulary',
    );
  }
  const total = weights + lora + optimizer + gradients + activations + kvCache + overhead;

  const bf16Held = bf16Base ? 'the projections, embedding and lm_head' : bf16Vocab ? 'the embedding and lm_head' : undefined;
  notes.push(
    bf16Held
      ? `tfjs is float32 only: LoRA, optimizer state and activations are 4 bytes per value; ${bf16Held} are the checkpoint's bf16, 2 bytes per value, widened to float32 where used`
      : 'tfjs is float32 only: weights, LoRA, optimizer state and activations are 4 bytes per value',
  );
  if (method === 'qlora') notes.push(`NF4 projections: ${(linearBytes / params.linear).toFixed(4)} bytes/param (codes 0.5 + 8-bit absmax 1/64 + float32 per 256 blocks); norms stay float32, embedding and lm_head ${bf16Vocab ? 'bf16' : 'float32'}`);
  if (task === 'train' && !checkpoint) notes.push('no gradient checkpointing: activations grow with layers x batch x seq (the largest term for long sequences)');
  if (weightsOnHost) notes.push(`frozen projections, embedding and lm_head in host memory (${formatBytes(onHost)}): the device holds the rest`);
  if (backend === 'wasm' && total - onHost > WASM_MAX_BYTES) notes.push(`exceeds the 4 GiB the wasm backend can address (32-bit WebAssembly)`);

  return {
    model: { name, family: m.family, layers: L, hidden: D, intermediate: I, heads: H, kvHeads: m.KV, headDim: d, vocab: V, tied: m.tied },
    input: { method, seq: T, batch: B, rank: r, targets, backend, task, checkpoint, kd, weightsOnHost, ...(input.size ? { size: input.size.toLowerCase() } : {}) },
    params: { base: params.base, linear: params.linear, lora: loraParams },
    bytes: { weights, lora, optimizer, gradients, activations, kvCache, overhead, total, frozenMatrices, device: total - onHost },
    linearBytesPerParam: linearBytes / params.linear,
    notes,
    pytorchReference: pytorchReference(m, params, method, task, N, B, T, loraParams, H),
  };
}

function g(m: Dims): number {
  return m.H / m.KV;
}

/** The same job in a typical PyTorch + PEFT (+ bitsandbytes) setup; an estimate for comparison. */
function pytorchReference(m: Dims, params: { base: number; linear: number }, method: string, task: string, N: number, B: number, T: number, loraParams: number, H: number): MemoryPlan['pytorchReference'] {
  const nonLinear = params.base - params.linear;
  const weights = method === 'qlora' ? params.linear * BNB_NF4_BYTES_PER_PARAM + BF16_BYTES * nonLinear : BF16_BYTES * params.base;
  const loraAndOptimizer = task === 'train' ? loraParams * (4 + 4 + 8) : loraParams * 2;
  // Training: bf16 checkpoints of each layer's input, one layer recomputed (34 N D bytes + 5 B H T^2,
  // Korthikanti et al. 2022), logits in bf16 plus their float32 upcast and gradient.
  const activations =
    task === 'train' ? 2 * N * m.D * m.L + 34 * N * m.D + 5 * B * H * T * T + N * m.V * (2 + 4 + 4) : 2 * 2 * m.L * B * T * m.Kv + N * m.V * 2;
  return {
    weights,
    loraAndOptimizer,
    activations,
    total: weights + loraAndOptimizer + activations,
    assumptions:
      'bf16 base (QLoRA: bitsandbytes NF4 with double quantization, embeddings and lm_head bf16), fp32 LoRA weights, grads and AdamW, gradient checkpointing, eager attention; CUDA context and allocator slack not included',
  };
}

/**
 * Which worker pools can hold a plan; wasm pools are capped at 4 GiB, except that a pool with its
 * weights on the host needs only the plan's frozen matrices (projections, embedding, lm_head) beside
 * the heap: the rest must fit the 4 GiB, the whole its memory.
 */
export function fitPools(plan: Pick<MemoryPlan, 'bytes'>, pools: WorkerPool[]): PoolFit {
  const sorted = [...pools].sort((a, b) => usableBytes(b) - usableBytes(a));
  const need = plan.bytes.total;
  const fitsHeap = (p: WorkerPool) => !(p.backend === 'wasm' && p.weightsOnHost) || need - plan.bytes.frozenMatrices <= WASM_MAX_BYTES;
  return {
    fits: sorted.filter((p) => usableBytes(p) >= need && fitsHeap(p)),
    largest: sorted.length ? { ...sorted[0], usableBytes: usableBytes(sorted[0]) } : undefined,
    needBytes: need,
  };
}

function usableBytes(p: WorkerPool): number {
  return p.backend === 'wasm' && !p.weightsOnHost ? Math.min(p.memoryBytes, WASM_MAX_BYTES) : p.memoryBytes;
}

/**
 * fitPools for pools that differ in where they hold the frozen weights: each is judged by the plan
 * made for it (a pool with its weights on the host has no NF4 dequantization on the device). The
 * plan returned is the one of the largest pool (of the input as given when there is none).
 */
export function fitPoolsFor(input: PlanInput, pools: WorkerPool[]): { plan: MemoryPlan; fit: PoolFit } {
  const judged = [false, true].flatMap((onHost) => {
    const group = pools.filter((p) => (p.weightsOnHost === true) === onHost);
    if (!group.length) return [];
    const plan = planMemory({ ...input, weightsOnHost: onHost });
    return [{ plan, fit: fitPools(plan, group) }];
  });
  if (!judged.length) {
    const plan = planMemory(input);
    return { plan, fit: fitPools(plan, []) };
  }
  const best = judged.reduce((a, b) => (b.fit.largest!.usableBytes > a.fit.largest!.usableBytes ? b : a));
  const fits = judged.flatMap((j) => j.fit.fits).sort((a, b) => usableBytes(b) - usableBytes(a));
  return { plan: best.plan, fit: { ...best.fit, fits } };
}

/** 1536 -> "1.5 KiB"-style binary units. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}
