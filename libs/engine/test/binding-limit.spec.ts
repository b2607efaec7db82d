import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { bindingRefusal, largestTensor, type ModelConfigLike } from '@retort/contracts';
import { activeBackend, batchLoss, collate, createLora, disposeLora, disposeModel, evaluate, Example, forwardLogits, generate, initModel, linearShape, linearStorage, linearWeightHost, loadModel, loraVariables, mergeAdapter, Model, modelToHost, quantizeModel, Rng } from '../src';
import { describeBackends } from './backends';
import { maxAbsDiff, maxRelDiff, tmpDir } from './helpers';

const QWEN2_05B: ModelConfigLike = { model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, tie_word_embeddings: true };
const MiB = 2 ** 20;
const FIXTURES = path.join(__dirname, 'fixtures');

describe('the largest tensor of a job (one webgpu storage binding)', () => {
  it('is never a weight (the embedding, lm_head and projections are held as blocks of rows): a generation of a 152k vocabulary fits 16 MiB', () => {
    const job = { config: QWEN2_05B, method: 'qlora' as const, seq: 1, batch: 1, task: 'generate' as const };
    expect(largestTensor(job)).toEqual({ what: 'logits', shape: [1, 151936], bytes: 4 * 151936 });
    expect(bindingRefusal(job, 16 * MiB)).toBeUndefined();
  });

  it('is the hidden states [tokens, hidden] of a large batch (the MLP runs a chunk of rows at a time), refused with smaller-batch advice', () => {
    const job = { config: QWEN2_05B, method: 'lora' as const, seq: 1024, batch: 64 };
    // the MLP's activations [65536, 4864] would take 1.2 GiB
    expect(largestTensor(job)).toEqual({ what: 'hidden states', shape: [65536, 896], bytes: 4 * 65536 * 896 });
    // lavapipe's 128 MiB
    expect(bindingRefusal(job, 128 * MiB)).toBe(
      "its largest tensor, the hidden states [65536, 896] (224 MiB float32), is more than the webgpu adapter's maxStorageBufferBindingSize of 128 MiB (one tensor is one storage binding): " +
        'try a smaller --batch-size or --max-seq-len',
    );
    expect(bindingRefusal({ ...job, batch: 32 }, 128 * MiB)).toBeUndefined();
  });

  it('is not the attention scores of a long sequence (attention runs a part of them at a time) nor its logits (made in chunks of rows)', () => {
    const job = { config: QWEN2_05B, method: 'lora' as const, seq: 32768, batch: 1 };
    // the scores [14, 32768, 32768] would take 56 GiB, the logits [32768, 151936] 18.5 GiB
    expect(largestTensor(job)).toEqual({ what: 'hidden states', shape: [32768, 896], bytes: 4 * 32768 * 896 });
    expect(bindingRefusal(job, 2048 * MiB)).toBeUndefined();
  });
});

/** Every token id of the vocabulary occurs, so every block of the embedding is read; a teacher's top-2 at every 5th position. */
function examples(vocab: number): Example[] {
  const ids = Array.from({ length: vocab }, (_, i) => (i * 37) % vocab);
  return [0, 1, 2].map((k) => ({
    ids: ids.slice(k * 32, k * 32 + 32),
    weights: Array.from({ length: 32 }, (_, t) => (t === 31 ? 0 : 1)),
    teacher: Array.from({ length: 32 }, (_, t) => (t % 5 === 0 && t < 31 ? { ids: [ids[k * 32 + t + 1], (t * 11) % vocab], logprobs: [-0.2, -1.8] } : null)),
  }));
}

async function lossAndGrads(model: Model, seed: number, kd?: { alpha: number; temperature: number }): Promise<{ loss: number; grads: Float32Array[] }> {
  const lora = createLora(model, { r: 4, alpha: 8, dropout: 0 }, seed);
  const rng = new Rng(seed + 1);
  for (const m of lora.modules.values()) m.bt.assign(tf.tensor2d(Array.from({ length: m.bt.size }, () => rng.normal() * 0.1), m.bt.shape));
  const batch = collate(examples(model.config.vocabSize), 0);
  const params = loraVariables(lora);
  const { value, grads } = tf.variableGrads(() => batchLoss(model, lora, batch, 93, { kd }), params);
  const out = { loss: (await value.data())[0], grads: await Promise.all(params.map(async (v) => (await grads[v.name].data()) as Float32Array)) };
  tf.dispose([value, ...Object.values(grads), ...params]);
  return out;
}

describeBackends('the embedding and lm_head held as blocks of rows, the logits made in chunks of rows', (backend) => {
  // tiny-llama: embedding and untied lm_head [96, 32] (12 KiB each), MLP projections [40, 32] (5 KiB)
  it.each(['tiny-llama', 'tiny-qwen2'])('give the logits, losses (with and without KD), LoRA gradients, evaluation and generation of the whole matrices (%s)', async (name) => {
    const dir = path.join(FIXTURES, name);
    const whole = loadModel(dir, { weights: 'device' });
    const split = loadModel(dir, { weights: 'device', maxBindingBytes: 5 * 1024 });
    try {
      expect(whole.embed).toMatchObject({ blocks: [expect.anything()] });
      const rows = Math.floor((5 * 1024) / (4 * split.config.hiddenSize));
      expect((split.embed as { blocks: tf.Tensor[] }).blocks.map((b) => b.shape[0])).toEqual(
        Array.from({ length: Math.ceil(split.config.vocabSize / rows) }, (_, i) => Math.min(rows, split.config.vocabSize - i * rows)),
      );
      const ids = [[3, 95 % split.config.vocabSize, 40, 7, 81 % split.config.vocabSize, 40]];
      const a = forwardLogits(whole, ids);
      const b = forwardLogits(split, ids);
      expect(maxAbsDiff(await a.data(), await b.data())).toBeLessThan(1e-5);
      tf.dispose([a, b]);
      // 5 KiB holds 13 rows of logits: the loss is summed over 8 chunks of the batch's 96 rows; the
      // attention scores [6, 64, 32] (48 KiB) are taken a query head [32, 32] at a time, and the MLP's
      // activations [96, 40] (15 KiB) 32 rows at a time
      expect(split.maxBindingBytes).toBe(5 * 1024);
      for (const kd of [undefined, { alpha: 0.5, temperature: 2 }]) {
        const g1 = await lossAndGrads(whole, 3, kd);
        const g2 = await lossAndGrads(split, 3, kd);
        expect(Math.abs(g1.loss - g2.loss)).toBeLessThan(1e-5); // the chunks sum in another order
        expect(Math.max(...g1.grads.map((g) => maxAbsDiff(g, new Float32Array(g.length))))).toBeGreaterThan(1e-3); // not zeros
        g1.grads.forEach((g, i) => expect(maxRelDiff(g, g2.grads[i])).toBeLessThan(5e-6)); // float32 rounding, which varies with the CPU's BLAS kernels
      }
      const e1 = await evaluate(whole, undefined, examples(whole.config.vocabSize), 0);
      const e2 = await evaluate(split, undefined, examples(split.config.vocabSize), 0);
      expect(e2.tokens).toBe(e1.tokens);
      expect(e2.tokenAccuracy).toBe(e1.tokenAccuracy);
      expect(Math.abs(e2.loss - e1.loss)).toBeLessThan(1e-5);
      const prompt = [5, 17, 60];
      const r1 = await generate(whole, prompt, { maxNewTokens: 6 });
      const r2 = await generate(split, prompt, { maxNewTokens: 6 });
      expect(r2.ids).toEqual(r1.ids);
      expect(() => forwardLogits(split, [[split.config.vocabSize]])).toThrow(`token id ${split.config.vocabSize} is not a row of the [${split.config.vocabSize}, ${split.config.hiddenSize}] embedding`);
      // 1 KiB: 12 blocks of 8 rows, more than webgpu binds in one shader, so the lm_head's gradient adds them one by one;
      // attention in blocks of 8 queries
      const many = loadModel(dir, { weights: 'device', maxBindingBytes: 1024 });
      expect((many.embed as { blocks: tf.Tensor[] }).blocks).toHaveLength(12);
      const g3 = await lossAndGrads(many, 3);
      const g1 = await lossAndGrads(whole, 3);
      // at 1 KiB the projections are parts too (8 rows each), their input gradients summed a part at a time
      g1.grads.forEach((g, i) => expect(maxRelDiff(g, g3.grads[i])).toBeLessThan(1e-5));
      disposeModel(many);
    } finally {
      disposeModel(whole);
      disposeModel(split);
    }
  });

  (backend === 'webgpu' ? it : it.skip)("are split at the adapter's limit by default, as are the projections; a limit below an NF4 projection's smallest part is refused before a weight is read", () => {
    const limits = activeBackend()!.adapter!.limits;
    const real = limits.maxStorageBufferBindingSize;
    const dir = path.join(FIXTURES, 'tiny-llama');
    try {
      limits.maxStorageBufferBindingSize = 4 * 1024; // forced: below the MLP projections' 5 KiB
      // NF4 parts hold whole groups of 16384 values: 512 rows of 32
      expect(() => loadModel(dir, { quant: 'nf4' })).toThrow(`${dir}: gate_proj: W [40, 32] cannot be held in parts of at most 4.0 KiB (one storage binding): its smallest part, 512 rows, takes 64.0 KiB as float32`);
      const model = loadModel(dir);
      expect((model.embed as { blocks: tf.Tensor[] }).blocks.map((b) => b.shape)).toEqual([[32, 32], [32, 32], [32, 32]]);
      expect((model.lmHead as { blocks: tf.Tensor[] }).blocks.map((b) => b.shape)).toEqual([[32, 32], [32, 32], [32, 32]]);
      expect(model.layers[0].proj.up_proj.parts?.map(linearShape)).toEqual([[32, 32], [8, 32]]);
      expect(model.layers[0].proj.q_proj.parts).toBeUndefined(); // [32, 32]: 4 KiB
      disposeModel(model);
    } finally {
      limits.maxStorageBufferBindingSize = real;
    }
  });
});

/** A random llama (hidden 64, 2 layers): gate and up [512, 64], down [64, 512], 128 KiB as float32 and two NF4 groups of 16384 values each. */
function wideMlpModel(dtype: 'F32' | 'BF16'): string {
  const dir = tmpDir();
  initModel({ family: 'llama', out: dir, seed: 7, std: 0.05, dtype, config: { vocab_size: 264, hidden_size: 64, intermediate_size: 512, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 } });
  return dir;
}

describeBackends('projections larger than one storage binding, held as parts of their rows', () => {
  it.each([
    ['float32', 'F32', 'none'],
    ['bf16', 'BF16', 'none'],
    ['NF4', 'F32', 'nf4'],
  ] as const)('give the weights, logits, losses, LoRA gradients, merged weights and generation of the whole projections (%s)', async (kind, dtype, quant) => {
    const dir = wideMlpModel(dtype);
    const opts = { weights: 'device' as const, quant, bf16: kind === 'bf16' };
    const whole = loadModel(dir, opts);
    const split = loadModel(dir, { ...opts, maxBindingBytes: 64 * 1024 }); // 256 rows of 64, 32 rows of 512
    try {
      const { gate_proj: gate, down_proj: down, q_proj: q } = split.layers[1].proj;
      expect(gate.parts?.map(linearShape)).toEqual([[256, 64], [256, 64]]);
      expect(down.parts?.map(linearShape)).toEqual([[32, 512], [32, 512]]);
      expect(q.parts).toBeUndefined(); // [64, 64]: 16 KiB
      const held = { float32: 'wt', bf16: 'bf16', NF4: 'nf4' }[kind];
      expect(gate.parts!.every((p) => (p as unknown as Record<string, unknown>)[held] !== undefined)).toBe(true);
      expect(linearStorage(split)).toMatchObject({ quant: linearStorage(whole).quant, params: linearStorage(whole).params });
      // the same bits: NF4 parts are cut from the whole weight's quantization
      for (const p of ['gate_proj', 'up_proj', 'down_proj'] as const) {
        const a = await linearWeightHost(whole.layers[1].proj[p]);
        const b = await linearWeightHost(split.layers[1].proj[p]);
        expect(b.shape).toEqual(a.shape);
        expect(maxAbsDiff(a.data, b.data)).toBe(0);
      }
      const ids = [[3, 95, 40, 7, 81, 40, 200, 263]];
      const la = forwardLogits(whole, ids);
      const lb = forwardLogits(split, ids);
      expect(maxRelDiff(await la.data(), await lb.data())).toBeLessThan(1e-6);
      tf.dispose([la, lb]);
      const g1 = await lossAndGrads(whole, 5);
      const g2 = await lossAndGrads(split, 5);
      expect(Math.abs(g1.loss - g2.loss)).toBeLessThan(1e-5);
      expect(Math.max(...g1.grads.map((g) => maxAbsDiff(g, new Float32Array(g.length))))).toBeGreaterThan(1e-3); // not zeros
      g1.grads.forEach((g, i) => expect(maxRelDiff(g, g2.grads[i])).toBeLessThan(5e-6));
      const prompt = [5, 17, 60];
      expect((await generate(split, prompt, { maxNewTokens: 6 })).ids).toEqual((await generate(whole, prompt, { maxNewTokens: 6 })).ids);
      // merged part by part (B's rows of each part), float32 where the parts were
      const lora = createLora(whole, { r: 4, alpha: 8 }, 9);
      for (const m of lora.modules.values()) m.bt.assign(tf.randomNormal(m.bt.shape, 0, 0.1, 'float32', 3));
      const mergedWhole = await modelToHost(await mergeAdapter(whole, lora));
      const mergedSplit = await modelToHost(await mergeAdapter(split, lora));
      for (const [name, t] of mergedWhole) expect([name, maxAbsDiff(t.data, mergedSplit.get(name)!.data)]).toEqual([name, 0]);
      disposeLora(lora);
    } finally {
      disposeModel(whole);
      disposeModel(split);
    }
  });

  it('are requantized part by part (quantizeModel), the same bits as an NF4 load', async () => {
    const dir = wideMlpModel('F32');
    const nf4 = loadModel(dir, { weights: 'device', quant: 'nf4', maxBindingBytes: 64 * 1024 });
    const requantized = await quantizeModel(loadModel(dir, { weights: 'device', maxBindingBytes: 64 * 1024 }));
    try {
      const p = requantized.layers[0].proj.down_proj;
      expect(p.parts?.map((part) => part.nf4?.shape)).toEqual([[32, 512], [32, 512]]);
      expect(maxAbsDiff((await linearWeightHost(p)).data, (await linearWeightHost(nf4.layers[0].proj.down_proj)).data)).toBe(0);
    } finally {
      disposeModel(nf4);
      disposeModel(requantized);
    }
  });
});
