/** The Llama/Qwen2 decoder with Hugging Face semantics, in tfjs. Shapes in comments; B batch, T length. */
import * as tf from '@tensorflow/tfjs-core';
import { expectedWeights, moduleName, projectionHasBias, PROJECTIONS } from '@retort/contracts';
import type { Projection } from '@retort/contracts';
import { ModelConfig, RopeScaling } from './config';
import { HostCheckpoint, openCheckpoint, TensorSource } from './checkpoint';
import { activeBackend, weightsOnHost } from './backend';
import { hostRows, HostMatrix } from './host-weights';
import { downloadRowBlocks, gatherRowBlocks, isRowBlocks, RowBlocks, rowBlocksMatmulT, rowsPerBlock, uploadRowBlocks } from './row-blocks';
import { checkDeviceFits, checkTokenizerFits } from './load-checks';
import { HostTensor } from './safetensors';
import { AsyncTensorToWrite } from './safetensors-file';
import { AttentionMask, constMatmul, frozenMatmul, loraMatmul } from './ops';
import { attentionInParts } from './attention-parts';
import { KVCache, Layer, Linear, LoraAdapter, Model, Quant } from './types';
import { rmsNorm } from './rms-norm';
import { ropeWebGpu } from './rope-webgpu';
import { swigluWebGpu } from './swiglu-webgpu';
import { useFusedKernels } from './webgpu-kernels';
import { disposeLinearWeight, frozenOf, holdLinear, isNf4Linear, linearBytes, linearShape, linearWeightHost } from './linear-weights';

function rotateHalfMatrix(d: number): Float32Array {
  // rotate_half(x) = cat(-x[d/2:], x[:d/2]) = x R
  const r = new Float32Array(d * d);
  const h = d / 2;
  for (let j = 0; j < h; j++) {
    r[(j + h) * d + j] = -1;
    r[j * d + (j + h)] = 1;
  }
  return r;
}

export interface LoadOptions {
  /**
   * `nf4`: the frozen linear weights (the seven projections of every layer) are quantized on the
   * host to NF4 with double quantization before they are uploaded, so their float copy never reaches
   * the device (QLoRA). Norms and biases stay float32, and the embedding and lm_head float32 or bf16 (see `bf16`).
   */
  quant?: Quant;
  /**
   * Where the frozen matrices (projections, embedding, lm_head) are held: default `host` on wasm with
   * the native addon (outside its 4 GiB heap; host-weights.ts), `device` elsewhere.
   */
  weights?: 'device' | 'host';
  /**
   * The most bytes one device tensor of the embedding, lm_head or a projection may take (a
   * projection counted as float32, the form it is multiplied in); a larger one is held as blocks of
   * rows (row-blocks.ts, linear-weights.ts). Default: the webgpu adapter's maxStorageBufferBindingSize, and
   * no limit on the other backends.
   */
  maxBindingBytes?: number;
  /**
   * Hold a bf16 checkpoint's frozen projections (LoRA; QLoRA's are NF4), embedding and lm_head as
   * bf16 on the device, half of float32 and exact (bf16-weights.ts, row-blocks.ts); a tensor whose
   * values are not all bf16 stays float32. Default: on webgpu (`RETORT_WEBGPU_BF16=0` turns it
   * off), not elsewhere.
   */
  bf16?: boolean;
}

/** A host checkpoint as a tensor source. */
function mapSource(ck: HostCheckpoint): TensorSource {
  return { config: ck.config, names: () => [...ck.tensors.keys()], shape: (n) => ck.tensors.get(n)?.shape, read: (n) => ck.tensors.get(n)! };
}

/**
 * Uploads HF-layout weights as tfjs tensors, one tensor at a time: every expected tensor must be
 * there with its shape (checked from the headers before any value is read), and each is read,
 * converted (and with nf4 quantized) and uploaded before the next, so the host holds at most one
 * tensor's float32 copy beside what the device holds.
 */
export function buildModel(from: HostCheckpoint | TensorSource, opts: LoadOptions = {}): Model {
  const ck = 'tensors' in from ? mapSource(from) : from;
  const c = ck.config;
  const expected = expectedWeights(c);
  for (const [name, shape] of expected) {
    const have = ck.shape(name);
    if (!have) throw new Error(`checkpoint: missing tensor ${name} (${c.family}, ${c.numLayers} layers)`);
    if (have.join(',') !== shape.join(',')) {
      throw new Error(`checkpoint: tensor ${name} has shape [${have}], config.json implies [${shape}]`);
    }
  }
  for (const name of ck.names()) {
    if (!expected.has(name) && !name.endsWith('rotary_emb.inv_freq') && name !== 'lm_head.weight') {
      throw new Error(`checkpoint: unexpected tensor ${name} (not part of a ${c.family} model with this config)`);
    }
  }
  const get = (n: string): HostTensor => ck.read(n);
  const vec = (n: string) => tf.tensor1d(get(n).data);
  const hostMat = (n: string): HostMatrix => {
    const t = get(n); // one read: each call of get reads the tensor from its file again
    return { shape: t.shape as [number, number], data: t.data };
  };
  const quant = opts.quant ?? 'none';
  if (quant !== 'none' && quant !== 'nf4') throw new Error(`quant "${quant as string}" is not supported (none, nf4)`);
  const onHost = heldOn(opts) === 'host';
  const bf16Vocab = !onHost && (opts.bf16 ?? (activeBackend()?.name === 'webgpu' && process.env.RETORT_WEBGPU_BF16 !== '0'));
  const bf16 = bf16Vocab && quant === 'none';
  const maxBindingBytes = maxBindingBytesOf(opts);
  const linear = (i: number, p: Projection): Linear => {
    const name = moduleName(i, p);
    const bias = projectionHasBias(c, p) ? vec(`${name}.bias`) : undefined;
    return holdLinear(name, hostMat(`${name}.weight`), { nf4: quant === 'nf4', onHost, bf16, maxBindingBytes }, bias);
  };
  const layers: Layer[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const proj = {} as Record<Projection, Linear>;
    for (const p of PROJECTIONS) proj[p] = linear(i, p);
    layers.push({
      inputNorm: vec(`model.layers.${i}.input_layernorm.weight`),
      postNorm: vec(`model.layers.${i}.post_attention_layernorm.weight`),
      proj,
    });
  }
  const vocabMat = (n: string): RowBlocks | HostMatrix => {
    const t = hostMat(n);
    return onHost ? t : uploadRowBlocks(t.data, t.shape, maxBindingBytes, bf16Vocab);
  };
  const embed = vocabMat('model.embed_tokens.weight');
  const lmHead = c.tieWordEmbeddings ? embed : vocabMat('lm_head.weight');
  const rot = rotateHalfMatrix(c.headDim);
  const rotate = tf.tensor2d(rot, [c.headDim, c.headDim]);
  return {
    config: c,
    embed,
    layers,
    norm: vec('model.norm.weight'),
    lmHead,
    rotate,
    rotateT: tf.transpose(rotate),
    maxBindingBytes,
  };
}

/** The most bytes one device tensor of the weights may take: as asked, else the webgpu adapter's binding limit. */
function maxBindingBytesOf(opts: LoadOptions): number | undefined {
  return opts.maxBindingBytes ?? activeBackend()?.adapter?.limits.maxStorageBufferBindingSize;
}

/** Where a load holds the frozen matrices: as asked, else on the host where the backend does that. */
function heldOn(opts: LoadOptions): 'device' | 'host' {
  return opts.weights ?? (weightsOnHost() ? 'host' : 'device');
}

/**
 * Loads a model directory tensor by tensor (files of any size, single or sharded). Before any weight
 * is read: the tokenizer's ids must fit vocab_size, and on the wasm backend the weights must fit its
 * 4 GiB (held in host memory: the machine's memory), else the error gives the numbers.
 */
export function loadModel(dir: string, opts: LoadOptions = {}): Model {
  const reader = openCheckpoint(dir);
  try {
    checkTokenizerFits(dir, reader.config);
    const weights = heldOn(opts);
    checkDeviceFits(dir, reader.config, opts.quant ?? 'none', weights === 'host', maxBindingBytesOf(opts));
    return buildModel(reader, { ...opts, weights });
  } finally {
    reader.close();
  }
}

/**
 * Quantizes the frozen linear weights of a loaded float32 model to NF4 in place (each layer through
 * the host, its float weight disposed) and returns the model. Prefer `loadModel(dir, {quant: 'nf4'})`,
 * which never uploads the float weights.
 */
export async function quantizeModel(model: Model): Promise<Model> {
  for (const l of model.layers) {
    for (const p of PROJECTIONS) {
      const lin = l.proj[p];
      if (isNf4Linear(lin)) continue;
      const w = await linearWeightHost(lin);
      disposeLinearWeight(lin);
      l.proj[p] = holdLinear(lin.name, w, { nf4: true, onHost: Boolean(lin.host), maxBindingBytes: model.maxBindingBytes }, lin.bias);
    }
  }
  return model;
}

/** How the frozen linear weights are stored, and what they take. */
export interface LinearStorage {
  quant: Quant;
  /** Where they are held: on the device, or in host memory (host-weights.ts). */
  where: 'device' | 'host';
  /** Parameters of the linear projections (biases not included). */
  params: number;
  /** Bytes their weights take where they are held, counted from the tensors or arrays held. */
  bytes: number;
  bytesPerParam: number;
}

export function linearStorage(model: Model): LinearStorage {
  let params = 0;
  let bytes = 0;
  let quantized = 0;
  let onHost = 0;
  for (const l of model.layers) {
    for (const p of PROJECTIONS) {
      const lin = l.proj[p];
      if (lin.host) onHost++;
      if (isNf4Linear(lin)) quantized++;
      const [rows, cols] = linearShape(lin);
      params += rows * cols;
      bytes += linearBytes(lin);
    }
  }
  return { quant: quantized ? 'nf4' : 'none', where: onHost ? 'host' : 'device', params, bytes, bytesPerParam: params ? bytes / params : 0 };
}

/**
 * The model's weights in HF layout, each downloaded from the device only when the writer asks for
 * it (merged export holds one float copy at a time).
 */
export function modelTensors(model: Model): AsyncTensorToWrite[] {
  const out: AsyncTensorToWrite[] = [];
  const put = (name: string, t: tf.Tensor | RowBlocks | HostMatrix) =>
    out.push({
      name,
      shape: t.shape,
      data: async function* () {
        yield t instanceof tf.Tensor ? ((await t.data()) as Float32Array) : isRowBlocks(t) ? await downloadRowBlocks(t) : t.data;
      },
    });
  put('model.embed_tokens.weight', model.embed);
  model.layers.forEach((l, i) => {
    put(`model.layers.${i}.input_layernorm.weight`, l.inputNorm);
    put(`model.layers.${i}.post_attention_layernorm.weight`, l.postNorm);
    for (const p of PROJECTIONS) {
      const lin = l.proj[p];
      out.push({
        name: `${lin.name}.weight`,
        shape: linearShape(lin),
        data: async function* () {
          yield (await linearWeightHost(lin)).data;
        },
      });
      if (lin.bias) put(`${lin.name}.bias`, lin.bias);
    }
  });
  put('model.norm.weight', model.norm);
  if (!model.config.tieWordEmbeddings) put('lm_head.weight', model.lmHead);
  return out;
}

/** The model's weights back in HF layout, all on the host (small models; see modelTensors). */
export async function modelToHost(model: Model): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const t of modelTensors(model)) {
    for await (const data of typeof t.data === 'function' ? t.data() : [t.data]) out.set(t.name, { shape: t.shape, data }); // one chunk each
  }
  return out;
}

export function disposeModel(model: Model): void {
  const ts: tf.Tensor[] = [model.norm, model.rotate, model.rotateT];
  if (isRowBlocks(model.embed)) ts.push(...model.embed.blocks);
  if (model.lmHead !== model.embed && isRowBlocks(model.lmHead)) ts.push(...model.lmHead.blocks);
  for (const l of model.layers) {
    ts.push(l.inputNorm, l.postNorm);
    for (const p of PROJECTIONS) {
      const lin = l.proj[p];
      disposeLinearWeight(lin);
      if (lin.bias) ts.push(lin.bias);
    }
  }
  tf.dispose(ts);
}

/**
 * Rescales RoPE frequencies in place as transformers' rope utilities do, in float32. `llama3`
 * (Llama 3.1): wavelengths shorter than original/high_freq_factor stay, longer than
 * original/low_freq_factor are divided by factor, and the band between blends the two.
 */
function scaleInvFreq(invFreq: Float32Array, s: RopeScaling): void {
  const f32 = Math.fround;
  for (let i = 0; i < invFreq.length; i++) {
    const inv = invFreq[i];
    if (s.type === 'linear') {
      invFreq[i] = inv / s.factor;
      continue;
    }
    const wavelen = f32((2 * Math.PI) / inv);
    if (wavelen < s.originalMaxPositionEmbeddings / s.highFreqFactor) continue;
    if (wavelen > s.originalMaxPositionEmbeddings / s.lowFreqFactor) {
      invFreq[i] = inv / s.factor;
      continue;
    }
    const smooth = f32(f32(f32(s.originalMaxPositionEmbeddings / wavelen) - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor));
    invFreq[i] = f32(f32((1 - smooth) * f32(inv / s.factor)) + f32(smooth * inv));
  }
}

/** cos and sin [T, d] for positions offset..offset+T-1, as HF computes them in float32. */
function ropeTables(c: ModelConfig, T: number, offset: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const d = c.headDim;
  const h = d / 2;
  const invFreq = new Float32Array(h);
  for (let i = 0; i < h; i++) invFreq[i] = 1 / Math.fround(c.ropeTheta ** Math.fround((2 * i) / d));
  if (c.ropeScaling) scaleInvFreq(invFreq, c.ropeScaling);
  const cos = new Float32Array(T * d);
  const sin = new Float32Array(T * d);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < h; i++) {
      const f = Math.fround((offset + t) * invFreq[i]);
      cos[t * d + i] = cos[t * d + i + h] = Math.cos(f);
      sin[t * d + i] = sin[t * d + i + h] = Math.sin(f);
    }
  }
  return { cos: tf.tensor2d(cos, [T, d]), sin: tf.tensor2d(sin, [T, d]) };
}

/** x [B, T, n, d] -> x cos + rotate_half(x) sin. */
function applyRope(model: Model, x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor4D {
  if (useFusedKernels()) return ropeWebGpu(x, cos, sin);
  const d = model.config.headDim;
  const rotated = tf.reshape(constMatmul(tf.reshape(x, [-1, d]), model.rotate, model.rotateT), x.shape);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

/** Additive causal mask [g*T, past+T] for T new positions after `past` cached ones, tiled for g query heads per group. */
export function causalMask(T: number, past: number, g: number): tf.Tensor2D {
  const S = past + T;
  const m = new Float32Array(g * T * S);
  for (let r = 0; r < g * T; r++) {
    const i = r % T;
    for (let j = past + i + 1; j < S; j++) m[r * S + j] = -1e9;
  }
  return tf.tensor2d(m, [g * T, S]);
}

export interface ForwardOptions {
  lora?: LoraAdapter;
  /** LoRA dropout is applied only when a seed is given (training). */
  dropoutSeed?: number;
  /** Decoding with a cache: new keys/values are appended to it (tensors kept outside tidy). */
  cache?: KVCache;
  /**
   * Gradient checkpointing (training): each decoder layer keeps only its input for the backward
   * pass and is recomputed there, so activations no longer grow with the number of layers.
   */
  checkpoint?: boolean;
}

/** What every decoder layer of one forward pass shares. */
interface LayerContext {
  B: number;
  T: number;
  past: number;
  cos3: tf.Tensor3D;
  sin3: tf.Tensor3D;
  mask: AttentionMask;
}

function project(x: tf.Tensor2D, lin: Linear, opts: ForwardOptions, seed: number): tf.Tensor2D {
  const lora = opts.lora?.modules.get(lin.name);
  let y: tf.Tensor2D;
  if (lora) {
    const rate = opts.lora!.config.dropout;
    const xd = rate > 0 && opts.dropoutSeed !== undefined ? tf.dropout(x, rate, undefined, opts.dropoutSeed * 7919 + seed) : x;
    y = loraMatmul(x, xd as tf.Tensor2D, frozenOf(lin), lora.at, lora.bt, opts.lora!.scale);
  } else {
    y = lin.wt ? constMatmul(x, lin.wt) : frozenMatmul(x, frozenOf(lin));
  }
  return lin.bias ? tf.add(y, lin.bias) : y;
}

/** One decoder layer: x [B*T, hidden] -> x + attention(norm(x)) -> + MLP(norm(.)). */
function decoderLayer(model: Model, li: number, x: tf.Tensor2D, ctx: LayerContext, opts: ForwardOptions): tf.Tensor2D {
  const c = model.config;
  const { B, T, past, cos3, sin3, mask } = ctx;
  const d = c.headDim;
  const H = c.numHeads;
  const KV = c.numKvHeads;
  const g = H / KV;
  const layer = model.layers[li];
  const seed = li * PROJECTIONS.length;
  const h = rmsNorm(x, layer.inputNorm, c.rmsNormEps);
  const q = applyRope(model, tf.reshape(project(h, layer.proj.q_proj, opts, seed), [B, T, H, d]), cos3, sin3);
  const k = applyRope(model, tf.reshape(project(h, layer.proj.k_proj, opts, seed + 1), [B, T, KV, d]), cos3, sin3);
  const v = tf.reshape(project(h, layer.proj.v_proj, opts, seed + 2), [B, T, KV, d]);
  // Query head n uses key/value head floor(n / g) (HF repeat_kv), so [B, H, T, d] = [B*KV, g*T, d].
  const qg = tf.reshape(tf.transpose(q, [0, 2, 1, 3]), [B * KV, g * T, d]) as tf.Tensor3D;
  let kg = tf.reshape(tf.transpose(k, [0, 2, 1, 3]), [B * KV, T, d]) as tf.Tensor3D;
  let vg = tf.reshape(tf.transpose(v, [0, 2, 1, 3]), [B * KV, T, d]) as tf.Tensor3D;
  if (opts.cache) {
    if (past > 0) {
      kg = tf.concat([opts.cache.k[li], kg], 1);
      vg = tf.concat([opts.cache.v[li], vg], 1);
      tf.dispose([opts.cache.k[li], opts.cache.v[li]]);
    }
    opts.cache.k[li] = tf.keep(kg);
    opts.cache.v[li] = tf.keep(vg);
  }
  const o = attentionInParts(qg, kg, vg, mask, 1 / Math.sqrt(d), T, model.maxBindingBytes); // [B*KV, g*T, d]
  const merged = tf.reshape(tf.transpose(tf.reshape(o, [B, H, T, d]), [0, 2, 1, 3]), [B * T, H * d]) as tf.Tensor2D;
  const x2 = tf.add(x, project(merged, layer.proj.o_proj, opts, seed + 3)) as tf.Tensor2D;
  const h2 = rmsNorm(x2, layer.postNorm, c.rmsNormEps);
  return tf.add(x2, mlpInRowChunks(model, layer, h2, opts, seed + 4)) as tf.Tensor2D;
}

/** The SwiGLU MLP of h [N, hidden] -> [N, hidden], its projections' dropout seeded from `seed` on. */
function mlp(layer: Layer, h: tf.Tensor2D, opts: ForwardOptions, seed: number): tf.Tensor2D {
  const gate = project(h, layer.proj.gate_proj, opts, seed);
  const up = project(h, layer.proj.up_proj, opts, seed + 1);
  const act = useFusedKernels() ? swigluWebGpu(gate, up) : (tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D);
  return project(act, layer.proj.down_proj, opts, seed + 2);
}

/**
 * The MLP a chunk of token rows at a time where its activations [N, intermediate] would exceed one
 * storage binding (lavapipe's 128 MiB holds 1771 tokens of a 7B model's); each chunk's dropout is
 * seeded apart from every other layer's and chunk's.
 */
function mlpInRowChunks(model: Model, layer: Layer, h: tf.Tensor2D, opts: ForwardOptions, seed: number): tf.Tensor2D {
  const N = h.shape[0];
  const per = rowsPerBlock([N, model.config.intermediateSize], model.maxBindingBytes);
  if (per >= N) return mlp(layer, h, opts, seed);
  const parts: tf.Tensor2D[] = [];
  for (let r = 0, i = 0; r < N; r += per, i++) {
    parts.push(mlp(layer, tf.slice(h, [r, 0], [Math.min(per, N - r), -1]), opts, seed + i * PROJECTIONS.length * model.config.numLayers));
  }
  return tf.concat(parts, 0);
}

/**
 * A decoder layer as one differentiable op that saves only its input: the forward pass runs without
 * a tape, and the backward pass runs the layer again under tf.grads (same dropout masks: they are
 * seeded) to get the gradients of its input and of this layer's LoRA A and B. Everything the
 * recomputation needs goes through `save`: tfjs disposes the rest when the forward's scope ends.
 */
function checkpointedLayer(model: Model, li: number, x: tf.Tensor2D, ctx: LayerContext, opts: ForwardOptions): tf.Tensor2D {
  const lora = opts.lora;
  const names = lora ? PROJECTIONS.map((p) => model.layers[li].proj[p].name).filter((n) => lora.modules.has(n)) : [];
  const params = names.flatMap((n) => [lora!.modules.get(n)!.at, lora!.modules.get(n)!.bt]);
  // The layer with its LoRA A and B taken from `ps`, so that tf.grads can differentiate by them.
  const run = (xi: tf.Tensor2D, ps: tf.Tensor[], c: LayerContext) => {
    if (!lora) return decoderLayer(model, li, xi, c, opts);
    const modules = new Map(lora.modules);
    names.forEach((n, i) => modules.set(n, { at: ps[2 * i] as tf.Variable<tf.Rank.R2>, bt: ps[2 * i + 1] as tf.Variable<tf.Rank.R2> }));
    return decoderLayer(model, li, xi, c, { ...opts, lora: { ...lora, modules } });
  };
  const n = params.length;
  const f = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, ...ps] = args.slice(0, 1 + n) as tf.Tensor[];
    (args[1 + n] as tf.GradSaveFunc)([xi, ...ps, ctx.cos3, ctx.sin3, ...(ctx.mask instanceof tf.Tensor ? [ctx.mask] : [])]);
    return {
      value: run(xi as tf.Tensor2D, ps, ctx),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [cos3, sin3, mask = ctx.mask] = saved.slice(1 + n) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D?];
        const c = { ...ctx, cos3, sin3, mask };
        // tf.grads inside a backward pass starts a tape of its own and, when it ends, frees that tape's
        // saved tensors and drops the engine's tape: the outer backward pass gets its tape back here.
        const engine = tf.engine();
        const outerTape = engine.state.activeTape;
        try {
          return tf.grads((...inputs: tf.Tensor[]) => run(inputs[0] as tf.Tensor2D, inputs.slice(1), c))(saved.slice(0, 1 + n), dy);
        } finally {
          engine.state.activeTape = outerTape;
        }
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return f(x, ...params) as tf.Tensor2D;
}

/** Final hidden states [B*T, hidden] for token ids [B][T] (right-padded sequences are fine: causal). */
export function forwardHidden(model: Model, ids: number[][], opts: ForwardOptions = {}): tf.Tensor2D {
  const c = model.config;
  const B = ids.length;
  const T = ids[0].length;
  const d = c.headDim;
  const g = c.numHeads / c.numKvHeads;
  const past = opts.cache?.length ?? 0;
  let x = isRowBlocks(model.embed) ? gatherRowBlocks(model.embed, ids.flat()) : hostRows(model.embed, ids.flat()); // [B*T, hidden]
  const { cos, sin } = ropeTables(c, T, past);
  const cos3 = tf.reshape(cos, [T, 1, d]) as tf.Tensor3D;
  const sin3 = tf.reshape(sin, [T, 1, d]) as tf.Tensor3D;
  // The fused kernel reads the causal mask from each row's position: no [g*T, past+T] tensor.
  const mask = useFusedKernels() ? { causalQueryLen: T } : causalMask(T, past, g);
  const ctx: LayerContext = { B, T, past, cos3, sin3, mask };
  model.layers.forEach((_, li) => {
    x = opts.checkpoint && !opts.cache ? checkpointedLayer(model, li, x, ctx, opts) : decoderLayer(model, li, x, ctx, opts);
  });
  if (opts.cache) opts.cache.length = past + T;
  return rmsNorm(x, model.norm, c.rmsNormEps);
}

/** Logits [N, vocab] from hidden states [N, hidden]. */
export function lmHead(model: Model, hidden: tf.Tensor2D): tf.Tensor2D {
  if (isRowBlocks(model.lmHead)) return rowBlocksMatmulT(hidden, model.lmHead);
  return frozenMatmul(hidden, { host: { dense: model.lmHead } });
}

/** Logits for every position: [B*T, vocab]. */
export function forwardLogits(model: Model, ids: number[][], opts: ForwardOptions = {}): tf.Tensor2D {
  return tf.tidy(() => lmHead(model, forwardHidden(model, ids, opts)));
}

/** Logits of the last position of each sequence: [B, vocab]. */
export function lastLogits(model: Model, ids: number[][], opts: ForwardOptions = {}): tf.Tensor2D {
  return tf.tidy(() => {
    const T = ids[0].length;
    const h = forwardHidden(model, ids, opts);
    const rows = tf.tensor1d(ids.map((_, b) => b * T + T - 1), 'int32');
    return lmHead(model, tf.gather(h, rows) as tf.Tensor2D);
  });
}

export function emptyCache(model: Model): KVCache {
  return { k: new Array(model.config.numLayers), v: new Array(model.config.numLayers), length: 0 };
}

export function disposeCache(cache: KVCache): void {
  tf.dispose([...cache.k.filter(Boolean), ...cache.v.filter(Boolean)]);
  cache.length = 0;
}
