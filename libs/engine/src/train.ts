/** The LoRA training loop: one readable loop over optimizer steps, with exact resume. */
import * as tf from '@tensorflow/tfjs-core';
import { Batch, BatchStream, collate, Example } from './data';
import { forwardHidden } from './model';
import { headLoss, headLossSums } from './head-loss';
import { softCrossEntropy, weightedCrossEntropy } from './cross-entropy';
import { adamWStep, AdamWState, clipScale, globalNorm, initAdamW } from './optimizer';
import { adapterTensors, hostTensors } from './peft';
import { createLora, DEFAULT_LORA, loraVariables } from './lora';
import { learningRate, ScheduleConfig } from './schedule';
import { CheckpointStore, TrainCheckpoint } from './trainer-state';
import { linearStorage } from './model';
import type { AssistantTurns } from '@retort/tokenizer';
import { LoraAdapter, LoraConfig, Model, Quant } from './types';

export interface TrainConfig {
  lora: LoraConfig;
  /** `nf4`: QLoRA, the frozen base held in NF4 (the model must be loaded with `{quant: 'nf4'}`). */
  quant: Quant;
  /** Optimizer steps (each of gradAccum micro-batches). */
  steps: number;
  batchSize: number;
  gradAccum: number;
  lr: number;
  warmupSteps: number;
  schedule: ScheduleConfig['schedule'];
  minLrRatio: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Global-norm clipping threshold; 0 disables. */
  maxGradNorm: number;
  maxSeqLen: number;
  /** Train on prompt tokens too (off: assistant tokens only). */
  trainOnInputs: boolean;
  /** Which assistant turns of chat records train: auto (those the chat template keeps as written, and the last), all, or last. */
  assistantTurns: AssistantTurns;
  seed: number;
  /** Evaluate every N steps (and at the end) when eval data is given; 0: only at the end. */
  evalEvery: number;
  /** Checkpoint every N steps (and at the end) when a store is given; 0: only at the end. */
  saveEvery: number;
  /** Recompute each layer in the backward pass instead of keeping its activations (less memory, ~1.4x time). */
  gradientCheckpointing: boolean;
  /**
   * Token-level KD, where examples carry teacher distributions: the loss at those targets is
   * (1 - kdAlpha) * CE + kdAlpha * T^2 * CE(student at T, teacher top-k renormalised at T).
   */
  kdAlpha: number;
  kdTemperature: number;
}

export const DEFAULT_TRAIN: TrainConfig = {
  lora: DEFAULT_LORA,
  quant: 'none',
  steps: 100,
  batchSize: 8,
  gradAccum: 1,
  lr: 2e-4,
  warmupSteps: 10,
  schedule: 'cosine',
  minLrRatio: 0.1,
  weightDecay: 0,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  maxGradNorm: 1,
  maxSeqLen: 1024,
  trainOnInputs: false,
  assistantTurns: 'auto',
  seed: 0,
  evalEvery: 0,
  saveEvery: 0,
  gradientCheckpointing: false,
  kdAlpha: 0.5,
  kdTemperature: 1,
};

export function trainConfig(partial: Partial<Omit<TrainConfig, 'lora'>> & { lora?: Partial<LoraConfig> } = {}): TrainConfig {
  return { ...DEFAULT_TRAIN, ...partial, lora: { ...DEFAULT_LORA, ...partial.lora } };
}

export interface EvalMetrics {
  loss: number;
  perplexity: number;
  tokenAccuracy: number;
  tokens: number;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSec: number;
  /** Tokens (padding included) trained on since this call started, resumed steps excluded. */
  tokens: number;
  elapsedMs: number;
  etaMs: number;
  epoch: number;
  eval?: EvalMetrics;
}

export interface TrainOptions {
  model: Model;
  train: Example[];
  eval?: Example[];
  config: TrainConfig;
  padId: number;
  /** Resume from this adapter/optimizer state instead of starting fresh. */
  resumeFrom?: TrainCheckpoint;
  checkpointStore?: CheckpointStore;
  onProgress?: (p: TrainProgress) => void;
  /** Polled after every step; true stops after checkpointing. */
  shouldStop?: () => boolean;
  /**
   * Measure the peak of tfjs-tracked device memory (`tf.memory().numBytes`) during the first step
   * (through tf.profile, which snapshots it after every kernel); reported as `peakBytes`.
   */
  profileMemory?: boolean;
}

export interface TrainResult {
  adapter: LoraAdapter;
  step: number;
  stopped: boolean;
  losses: number[];
  eval?: EvalMetrics;
  /** With `profileMemory`: the peak of tf.memory().numBytes during the first step of this call. */
  peakBytes?: number;
  /** [batch, padded length] of the largest micro-batch of the profiled step. */
  profiledShape?: [number, number];
}

export interface BatchLossOptions {
  /** LoRA dropout is applied only with a seed (training). */
  dropoutSeed?: number;
  checkpoint?: boolean;
  /** Token-level KD on the batch's teacher rows (see TrainConfig). */
  kd?: { alpha: number; temperature: number };
}

/**
 * Summed weighted cross-entropy of a batch, divided by `norm` (the step's target-token count); at
 * targets with a teacher distribution, mixed with the distillation loss.
 */
export function batchLoss(model: Model, adapter: LoraAdapter | undefined, batch: Batch, norm: number, opts: BatchLossOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const hidden = forwardHidden(model, batch.ids, { lora: adapter, dropoutSeed: opts.dropoutSeed, checkpoint: opts.checkpoint });
    const targets = (s: number, e: number) => tf.tensor1d(batch.targets.slice(s, e), 'int32');
    const kd = opts.kd && opts.kd.alpha > 0 ? batch.teacher : undefined;
    if (!kd) return tf.div(headLoss(model, hidden, (logits, s, e) => weightedCrossEntropy(logits, targets(s, e), tf.tensor1d(batch.weights.slice(s, e)))), norm);
    const { alpha, temperature } = opts.kd!;
    const ceWeights = Float32Array.from(batch.weights);
    const kdWeights = new Float32Array(batch.weights.length);
    // The teacher's top-k of every row, renormalised at the temperature ([rows, k], 0 past a row's own k).
    const k = Math.max(1, ...kd.dists.map((d) => d.ids.length));
    const topIds = new Int32Array(ceWeights.length * k);
    const topProbs = new Float32Array(ceWeights.length * k);
    kd.rows.forEach((row, i) => {
      ceWeights[row] = batch.weights[row] * (1 - alpha);
      kdWeights[row] = batch.weights[row] * alpha;
      const { ids, logprobs } = kd.dists[i];
      const top = Math.max(...logprobs);
      const e = logprobs.map((l) => Math.exp((l - top) / temperature));
      const sum = e.reduce((a, b) => a + b, 0);
      ids.forEach((id, j) => {
        topIds[row * k + j] = id;
        topProbs[row * k + j] = e[j] / sum;
      });
    });
    const loss = headLoss(model, hidden, (logits, s, e) => {
      const teacher = { k, ids: topIds.subarray(s * k, e * k), probs: topProbs.subarray(s * k, e * k) };
      const ce = weightedCrossEntropy(logits, targets(s, e), tf.tensor1d(ceWeights.slice(s, e)));
      return tf.add(ce, softCrossEntropy(logits, teacher, tf.tensor1d(kdWeights.slice(s, e)), temperature)) as tf.Scalar;
    });
    return tf.div(loss, norm);
  });
}

/** Eval loss (mean over target tokens), perplexity and next-token accuracy. */
export async function evaluate(model: Model, adapter: LoraAdapter | undefined, examples: Example[], padId: number, batchSize = 8): Promise<EvalMetrics> {
  let lossSum = 0;
  let correct = 0;
  let tokens = 0;
  for (let i = 0; i < examples.length; i += batchSize) {
    const batch = collate(examples.slice(i, i + batchSize), padId);
    const sums = tf.tidy(() =>
      headLossSums(model, forwardHidden(model, batch.ids, { lora: adapter }), (logits, s, e) => {
        const targets = tf.tensor1d(batch.targets.slice(s, e), 'int32');
        const w = tf.tensor1d(batch.weights.slice(s, e));
        const hit = tf.cast(tf.equal(tf.argMax(logits, -1), targets), 'float32');
        return tf.stack([weightedCrossEntropy(logits, targets, w), tf.sum(tf.mul(hit, w))]);
      }),
    );
    const [l, c] = await sums.data(); // one read per batch
    sums.dispose();
    lossSum += l;
    correct += c;
    tokens += batch.tokens;
  }
  const loss = tokens ? lossSum / tokens : NaN;
  return { loss, perplexity: Math.exp(loss), tokenAccuracy: tokens ? correct / tokens : NaN, tokens };
}

async function checkpointOf(step: number, dataPosition: number, config: TrainConfig, adapter: LoraAdapter, opt: AdamWState, metrics: Record<string, number>): Promise<TrainCheckpoint> {
  const moments: [string, tf.Tensor][] = [];
  let i = 0;
  for (const name of adapter.modules.keys()) {
    for (const which of ['lora_A', 'lora_B']) {
      // Moments are stored in PEFT orientation ([r, in] / [out, r]), like the adapter.
      moments.push([`base_model.model.${name}.${which}.weight.exp_avg`, tf.transpose(opt.m[i])]);
      moments.push([`base_model.model.${name}.${which}.weight.exp_avg_sq`, tf.transpose(opt.v[i])]);
      i++;
    }
  }
  try {
    const [adapterHost, optimizer] = await Promise.all([adapterTensors(adapter), hostTensors(moments)]);
    return { step, dataPosition, config, adapter: adapterHost, optimizer, optimizerStep: opt.t, metrics };
  } finally {
    tf.dispose(moments.map(([, t]) => t));
  }
}

function restore(ck: TrainCheckpoint, adapter: LoraAdapter, opt: AdamWState): void {
  let i = 0;
  const take = (key: string) => {
    const t = ck.adapter.get(key) ?? ck.optimizer.get(key);
    if (!t) throw new Error(`checkpoint at step ${ck.step}: missing ${key}`);
    return tf.tidy(() => tf.transpose(tf.tensor(t.data, t.shape)));
  };
  for (const [name, m] of adapter.modules) {
    for (const [which, v] of [['lora_A', m.at], ['lora_B', m.bt]] as const) {
      const key = `base_model.model.${name}.${which}.weight`;
      const value = take(key);
      v.assign(value as tf.Tensor2D);
      value.dispose();
      tf.dispose([opt.m[i], opt.v[i]]);
      opt.m[i] = take(`${key}.exp_avg`);
      opt.v[i] = take(`${key}.exp_avg_sq`);
      i++;
    }
  }
  opt.t = ck.optimizerStep;
}

/**
 * Trains a LoRA adapter. Every random choice (initialisation, data order, dropout) is a function of
 * the seed and the step, so a run resumed from a checkpoint continues exactly as if never stopped.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { model, config: c } = opts;
  const held = linearStorage(model).quant;
  if ((c.quant ?? 'none') !== held) {
    throw new Error(`train: config.quant is "${c.quant}" but the model's linear weights are ${held === 'nf4' ? 'NF4' : 'float32'} (load it with {quant: '${c.quant}'})`);
  }
  const adapter = createLora(model, c.lora, c.seed);
  const params = loraVariables(adapter);
  const opt = initAdamW(params);
  const stream = new BatchStream(opts.train, c.batchSize, c.seed, opts.padId);
  let step = 0;
  let pos = 0;
  if (opts.resumeFrom) {
    restore(opts.resumeFrom, adapter, opt);
    step = opts.resumeFrom.step;
    pos = opts.resumeFrom.dataPosition;
  }
  const sched: ScheduleConfig = { lr: c.lr, warmupSteps: c.warmupSteps, totalSteps: c.steps, schedule: c.schedule, minLrRatio: c.minLrRatio };
  const losses: number[] = [];
  const started = Date.now();
  const startStep = step;
  let tokensSeen = 0;
  let lastEval: EvalMetrics | undefined;
  let stopped = false;
  let peakBytes: number | undefined;
  let profiledShape: [number, number] | undefined;
  const save = async (metrics: Record<string, number>) => {
    if (opts.checkpointStore) await opts.checkpointStore.save(await checkpointOf(step, pos, c, adapter, opt, metrics));
  };
  while (step < c.steps) {
    const lr = learningRate(step, sched);
    const batches = Array.from({ length: c.gradAccum }, (_, j) => stream.at(pos + j));
    const norm = Math.max(1, batches.reduce((s, b) => s + b.tokens, 0));
    let grads: tf.Tensor[] | undefined;
    let loss = 0;
    let gradNorm = 0;
    // Two device reads per step (the loss, the gradient norm), none per micro-batch.
    const runStep = async () => {
      const values: tf.Scalar[] = [];
      for (const [j, batch] of batches.entries()) {
        // Between micro-batches the event loop runs: on wasm and tfjs-node a micro-batch is one
        // synchronous stretch, and a worker's job lock is renewed from a timer.
        if (j > 0) await new Promise((r) => setImmediate(r));
        const seed = ((c.seed + 1) * 1000003 + step * 131 + j) >>> 0;
        const { value, grads: g } = tf.variableGrads(() => batchLoss(model, adapter, batch, norm, { dropoutSeed: c.lora.dropout > 0 ? seed : undefined, checkpoint: c.gradientCheckpointing, kd: { alpha: c.kdAlpha, temperature: c.kdTemperature } }), params);
        values.push(value);
        const list = params.map((p) => g[p.name]);
        if (!grads) grads = list;
        else {
          grads = grads.map((acc, i) => {
            const sum = tf.add(acc, list[i]);
            tf.dispose([acc, list[i]]);
            return sum;
          });
        }
        tokensSeen += batch.ids.length * batch.ids[0].length;
      }
      const stacked = tf.stack(values);
      tf.dispose(values);
      for (const v of await stacked.data()) loss += v;
      stacked.dispose();
      gradNorm = await globalNorm(grads!);
      adamWStep(params, grads!, opt, lr, c, clipScale(gradNorm, c.maxGradNorm));
      tf.dispose(grads!);
    };
    if (opts.profileMemory && peakBytes === undefined) {
      const info = await tf.profile(async () => {
        await runStep();
        return [];
      });
      peakBytes = info.peakBytes;
      profiledShape = [Math.max(...batches.map((b) => b.ids.length)), Math.max(...batches.map((b) => b.ids[0].length))];
    } else await runStep();
    step += 1;
    pos += c.gradAccum;
    losses.push(loss);
    const elapsedMs = Date.now() - started;
    const progress: TrainProgress = {
      step,
      totalSteps: c.steps,
      loss,
      lr,
      gradNorm,
      tokensPerSec: (tokensSeen * 1000) / Math.max(1, elapsedMs),
      tokens: tokensSeen,
      elapsedMs,
      etaMs: (elapsedMs / (step - startStep)) * (c.steps - step),
      epoch: pos / stream.perEpoch,
    };
    const last = step === c.steps;
    stopped = !last && (opts.shouldStop?.() ?? false);
    if (opts.eval?.length && ((c.evalEvery > 0 && step % c.evalEvery === 0) || last)) {
      lastEval = await evaluate(model, adapter, opts.eval, opts.padId, c.batchSize);
      progress.eval = lastEval;
    }
    opts.onProgress?.(progress);
    if ((c.saveEvery > 0 && step % c.saveEvery === 0) || last || stopped) {
      await save({ loss, ...(lastEval ? { evalLoss: lastEval.loss, tokenAccuracy: lastEval.tokenAccuracy } : {}) });
    }
    if (stopped) break;
    await new Promise((r) => setImmediate(r)); // let the event loop breathe (progress, cancellation)
  }
  tf.dispose([...opt.m, ...opt.v]);
  return { adapter, step, stopped, losses, eval: lastEval, peakBytes, profiledShape };
}
