import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { bindingRefusal, largestTensor, type ModelConfigLike } from '@retort/contracts';
import { activeBackend, batchLoss, collate, createLora, disposeModel, evaluate, Example, forwardLogits, generate, loadModel, loraVariables, Model, Rng } from '../src';
import { describeBackends } from './backends';
import { maxAbsDiff, maxRelDiff } from './helpers';

const QWEN2_05B: ModelConfigLike = { model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, tie_word_embeddings: true };
const MiB = 2 ** 20;
const FIXTURES = path.join(__dirname, 'fixtures');

describe('the largest tensor of a job (one webgpu storage binding)', () => {
  it('is an MLP projection for a 152k vocabulary (the embedding is held as blocks of rows), refused below its size with no batch advice', () => {
    const t = largestTensor({ config: QWEN2_05B, method: 'qlora', seq: 1, batch: 1, task: 'generate' });
    expect(t).toEqual({ what: 'MLP projection', shape: [4864, 896], bytes: 4 * 4864 * 896, kind: 'weight' });
    const why = bindingRefusal({ config: QWEN2_05B, method: 'qlora', seq: 1, batch: 1, task: 'generate' }, 16 * MiB);
    expect(why).toBe(
      "its largest tensor, the MLP projection [4864, 896] (16.6 MiB float32), is more than the webgpu adapter's maxStorageBufferBindingSize of 16.0 MiB (one tensor is one storage binding): " +
        'it cannot be loaded on this adapter: use an adapter with a larger limit, or another backend (RETORT_BACKEND=node-gpu or wasm)',
    );
    // lavapipe's 128 MiB, four times less than the 519 MiB embedding
    expect(bindingRefusal({ config: QWEN2_05B, method: 'qlora', seq: 1, batch: 1, task: 'generate' }, 128 * MiB)).toBeUndefined();
  });

  it('is the attention scores for a long sequence (the logits are made in chunks of rows), refused with smaller-batch advice', () => {
    const job = { config: QWEN2_05B, method: 'lora' as const, seq: 4096, batch: 4 };
    expect(largestTensor(job)).toEqual({ what: 'attention scores', shape: [56, 4096, 4096], bytes: 4 * 56 * 4096 * 4096, kind: 'activation' });
    expect(bindingRefusal(job, 2048 * MiB)).toMatch(/the attention scores \[56, 4096, 4096\] \(3\.5 GiB float32\).*try a smaller --batch-size or --max-seq-len$/);
    // its logits [16384, 151936] (9.3 GiB) do not count
    expect(bindingRefusal({ ...job, batch: 2 }, 2048 * MiB)).toBeUndefined();
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
      // 5 KiB holds 13 rows of logits: the loss is summed over 8 chunks of the batch's 96 rows
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
      // 1 KiB: 12 blocks of 8 rows, more than webgpu binds in one shader, so the lm_head's gradient adds them one by one
      const many = loadModel(dir, { weights: 'device', maxBindingBytes: 1024 });
      expect((many.embed as { blocks: tf.Tensor[] }).blocks).toHaveLength(12);
      const g3 = await lossAndGrads(many, 3);
      const g1 = await lossAndGrads(whole, 3);
      g1.grads.forEach((g, i) => expect(maxRelDiff(g, g3.grads[i])).toBeLessThan(5e-6));
      disposeModel(many);
    } finally {
      disposeModel(whole);
      disposeModel(split);
    }
  });

  (backend === 'webgpu' ? it : it.skip)("are split at the adapter's limit by default; a projection larger than it is refused before a weight is read", () => {
    const limits = activeBackend()!.adapter!.limits;
    const real = limits.maxStorageBufferBindingSize;
    const dir = path.join(FIXTURES, 'tiny-llama');
    try {
      limits.maxStorageBufferBindingSize = 4 * 1024; // forced: below the MLP projections' 5 KiB
      expect(() => loadModel(dir)).toThrow(`${dir}: its largest tensor, the MLP projection [40, 32] (5.0 KiB float32), is more than the webgpu adapter's maxStorageBufferBindingSize of 4.0 KiB`);
      limits.maxStorageBufferBindingSize = 8 * 1024; // the 12 KiB embedding and lm_head: blocks of 64 and 32 rows
      const model = loadModel(dir);
      expect((model.embed as { blocks: tf.Tensor[] }).blocks.map((b) => b.shape)).toEqual([[64, 32], [32, 32]]);
      expect((model.lmHead as { blocks: tf.Tensor[] }).blocks.map((b) => b.shape)).toEqual([[64, 32], [32, 32]]);
      disposeModel(model);
    } finally {
      limits.maxStorageBufferBindingSize = real;
    }
  });
});
